import { useId, useState, type FormEvent } from 'react';
import type { ModelInfo } from '../../../native/contract';
import { useImportModel } from '../state/queries';
import { FolderPlusIcon } from './icons';

/**
 * A path field that registers a model folder with the host; its errors stay next to it.
 * `testIdPrefix` keeps test ids unique, since the Generate and Models views both hold one.
 */
export function ImportModelField({ onImported, testIdPrefix = 'import' }: { onImported?: (model: ModelInfo) => void; testIdPrefix?: string }) {
  const inputId = useId();
  const [path, setPath] = useState('');
  const importModel = useImportModel();

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = path.trim();
    if (!trimmed) return;
    importModel.mutate(trimmed, {
      onSuccess: (model) => {
        setPath('');
        onImported?.(model);
      },
    });
  }

  return (
    <form className="import-field" onSubmit={submit}>
      <div className="import-row">
        <label className="visually-hidden" htmlFor={inputId}>
          Model folder path
        </label>
        <input
          id={inputId}
          data-testid={`${testIdPrefix}-path-input`}
          type="text"
          spellCheck={false}
          placeholder="/path/to/model-folder"
          value={path}
          onChange={(event) => {
            setPath(event.target.value);
            if (importModel.isError) importModel.reset();
          }}
        />
        <button type="submit" className="button" data-testid={`${testIdPrefix}-button`} title="Register a model folder from this computer" disabled={importModel.isPending || !path.trim()}>
          <FolderPlusIcon />
          {importModel.isPending ? 'Adding…' : 'Add model folder…'}
        </button>
      </div>
      {importModel.isError && (
        <p className="inline-error" role="alert" data-testid={`${testIdPrefix}-error`}>
          {importModel.error.message}
        </p>
      )}
      {importModel.isSuccess && <p className="inline-note">Added {importModel.data.name}.</p>}
    </form>
  );
}
