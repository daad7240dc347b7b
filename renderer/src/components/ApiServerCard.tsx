import { useState, type FormEvent } from 'react';
import { ApiServerSettingsSchema, type Settings } from '../../../native/contract';
import { useApiServerStatus, useUpdateSettings } from '../state/queries';

/** Settings › Local API server: on/off, its port on 127.0.0.1, and the address and token to give a client. */
export function ApiServerCard({ settings }: { settings: Settings }) {
  const status = useApiServerStatus();
  const update = useUpdateSettings();
  const [port, setPort] = useState(String(settings.apiServer.port));
  const [invalid, setInvalid] = useState<string | null>(null);

  function save(enabled: boolean, event?: FormEvent) {
    event?.preventDefault();
    const parsed = ApiServerSettingsSchema.safeParse({ enabled, port: Number(port) });
    setInvalid(parsed.success ? null : `Port: ${parsed.error.issues[0]?.message ?? 'invalid value'}.`);
    if (parsed.success) update.mutate({ apiServer: parsed.data });
  }

  const current = status.data;
  const error = invalid ?? update.error?.message ?? current?.problem ?? status.error?.message ?? null;
  return (
    <form className="card settings-form" aria-label="Local API server" data-testid="api-server-card" noValidate onSubmit={(event) => save(settings.apiServer.enabled, event)}>
      <h2 className="panel-title">Local API server</h2>
      <p className="field-hint">An OpenAI-compatible API (chat, completions, images) for other programs on this computer: it listens on 127.0.0.1 only, and every request needs the token below, new at each launch.</p>
      <div className="form-grid">
        <label className="field-label" htmlFor="settings-api-server">
          API server
        </label>
        <label className="checkbox-row">
          <input id="settings-api-server" data-testid="settings-api-server" type="checkbox" checked={settings.apiServer.enabled} disabled={update.isPending || current?.available === false} onChange={(event) => save(event.target.checked)} />
          Serve the API while the studio runs
        </label>
        <label className="field-label" htmlFor="settings-api-port">
          Port
        </label>
        <div className="api-server-port">
          <input id="settings-api-port" data-testid="settings-api-port" type="number" min={1024} max={65535} step={1} value={port} onChange={(event) => setPort(event.target.value)} />
          <button type="submit" className="button" disabled={update.isPending || port === String(settings.apiServer.port)}>
            Use this port
          </button>
        </div>
        {current?.running && current.baseUrl && current.token && (
          <>
            <CopyRow id="settings-api-url" label="Base URL" value={current.baseUrl} />
            <CopyRow id="settings-api-token" label="API key" value={current.token} />
          </>
        )}
      </div>
      {error && (
        <p className={current?.available === false ? 'field-hint' : 'inline-error'} role={current?.available === false ? undefined : 'alert'}>
          {error}
        </p>
      )}
    </form>
  );
}

function CopyRow({ id, label, value }: { id: string; label: string; value: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  function copy() {
    navigator.clipboard.writeText(value).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  }
  return (
    <>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <div className="api-server-copy">
        <input id={id} data-testid={id} type="text" readOnly value={value} onFocus={(event) => event.target.select()} />
        <button type="button" className="button" data-testid={`${id}-copy`} onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        {copied === 'failed' && <span className="inline-error">Could not reach the clipboard: select the text and copy it.</span>}
      </div>
    </>
  );
}
