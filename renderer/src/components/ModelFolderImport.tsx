import { useCallback, useEffect, useRef, useState } from 'react';
import type { DesktopBridge } from '../../../native/contract';
import { useImportModel } from '../state/queries';

type Outcome = { ok: true; text: string } | { ok: false; text: string };

/**
 * Imports a model folder that came from outside the page — dropped on the window, or picked in
 * File › Import Model Folder… — and says how it went in a banner until dismissed.
 */
export function useModelFolderImport(desktop: DesktopBridge | undefined, onImported: () => void) {
  const importModel = useImportModel();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const { mutate } = importModel;
  const onImportedRef = useRef(onImported);
  useEffect(() => {
    onImportedRef.current = onImported;
  });

  const importFolder = useCallback(
    (path: string) => {
      setOutcome({ ok: true, text: `Adding the model folder ${path}…` });
      mutate(path, {
        onSuccess: (model) => {
          setOutcome({ ok: true, text: `Added ${model.name} (${model.kind}) from ${path}.` });
          onImportedRef.current();
        },
        onError: (error) => setOutcome({ ok: false, text: `${path}: ${error.message}` }),
      });
    },
    [mutate],
  );

  useEffect(() => desktop?.onImportModelFolder(importFolder), [desktop, importFolder]);

  const banner = outcome && (
    <div className={`banner ${outcome.ok ? 'banner-info' : 'banner-bad'}`} role={outcome.ok ? 'status' : 'alert'} data-testid="model-folder-import">
      {outcome.text}
      <button type="button" className="button button-quiet banner-dismiss" onClick={() => setOutcome(null)}>
        Dismiss
      </button>
    </div>
  );
  return { importFolder, banner };
}
