import type { Settings } from '../../../native/contract';
import { useUpdateSettings } from '../state/queries';

/** Settings › Updates (desktop app only): off until turned on; nothing is checked or downloaded before. */
export function UpdatesCard({ settings }: { settings: Settings }) {
  const update = useUpdateSettings();
  return (
    <section className="card settings-form" aria-label="Updates">
      <h2 className="panel-title">Updates</h2>
      <div className="form-grid">
        <label className="field-label" htmlFor="settings-check-updates">
          Automatic updates
        </label>
        <div>
          <label className="checkbox-row">
            <input id="settings-check-updates" data-testid="settings-check-updates" type="checkbox" checked={settings.checkForUpdates} disabled={update.isPending} onChange={(event) => update.mutate({ checkForUpdates: event.target.checked })} />
            Check GitHub releases for a new version and download it
          </label>
          <p className="field-hint">Off by default: until you turn it on the studio makes no network request. An update is installed only when its signature checks out, and only after you choose to restart.</p>
          {update.error && (
            <p className="inline-error" role="alert">
              {update.error.message}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
