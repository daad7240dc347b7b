import { useState, type DragEvent, type ReactNode } from 'react';
import { useReadImageParameters } from '../state/queries';
import type { Restore } from '../state/restore';

/** The largest PNG the host reads parameters from (its base64 must fit one request). */
const MAX_PNG_BYTES = 3_000_000;

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer.types.includes('Files');
}

function base64Of(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Why a dropped file cannot restore settings, or null when it is worth reading. */
function refusal(file: File): string | null {
  const isPng = file.type === 'image/png' || /\.png$/i.test(file.name);
  if (!isPng) return `${file.name} is not a PNG: only PNG files carry generation parameters.`;
  if (file.size > MAX_PNG_BYTES) return `${file.name} is over 3 MB; the studio reads parameters from PNGs up to 3 MB.`;
  return null;
}

const FOLDERS_NEED_THE_APP = 'A dropped folder cannot be read from the browser: add it in Models › Add a model folder by its path, or drop it on the desktop app.';

/**
 * The whole window as a drop target: a PNG dropped anywhere restores the settings it was made with
 * (ours, or A1111's `parameters` text) in the Images view; a folder dropped on the desktop app is
 * imported as a model (`onModelFolder`, with its path); anything else gets a sentence saying why not.
 */
export function PngDropZone({ className, onParameters, onModelFolder, children }: { className: string; onParameters: (restore: Restore) => void; onModelFolder?: (file: File) => void; children: ReactNode }) {
  const [dragging, setDragging] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const read = useReadImageParameters();

  async function onDrop(event: DragEvent) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (event.dataTransfer.items[0]?.webkitGetAsEntry()?.isDirectory) {
      setProblem(onModelFolder ? null : FOLDERS_NEED_THE_APP);
      onModelFolder?.(file);
      return;
    }
    const refused = refusal(file);
    setProblem(refused);
    if (refused) return;
    read.mutate(base64Of(await file.arrayBuffer()), {
      onSuccess: ({ parameters, source }) => onParameters({ kind: 'image', parameters, source }),
      onError: (error) => setProblem(`${file.name}: ${error.message}`),
    });
  }

  return (
    <div
      className={className}
      data-testid="drop-zone"
      onDragOver={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target || !event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => void onDrop(event)}
    >
      {children}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          {onModelFolder ? 'Drop a PNG to restore the settings it was made with, or a model folder to add it' : 'Drop a PNG to restore the settings it was made with'}
        </div>
      )}
      {problem && (
        <div className="drop-problem banner banner-bad" role="alert" data-testid="drop-problem">
          <span>{problem}</span>
          <button type="button" className="button button-quiet" onClick={() => setProblem(null)}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
