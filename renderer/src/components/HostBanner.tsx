import { useState } from 'react';
import type { StudioLiveStatus } from '../state/useStudioEvents';

/**
 * A banner while the engine host is down or restarting, or the web event stream is lost; and,
 * once a restarted engine is back, what the crash stopped (until dismissed).
 */
export function HostBanner({ live }: { live: StudioLiveStatus }) {
  const { host, connected } = live;
  const [dismissed, setDismissed] = useState<StudioLiveStatus['host']>(null);
  let tone: 'warn' | 'bad';
  let text: string;
  if (!connected) {
    tone = 'warn';
    text = 'Lost the connection to the studio server. Reconnecting… (is `pareto serve` still running?)';
  } else if (host?.status === 'crashed') {
    tone = 'bad';
    text = `The engine stopped unexpectedly${host.message ? `: ${host.message}` : ''}. It is being restarted; your work in this window is kept.`;
  } else if (host?.status === 'restarting') {
    tone = 'warn';
    text = `Restarting the engine…${host.message ? ` ${host.message}` : ''}`;
  } else if (host?.status === 'ready' && host.message && host !== dismissed) {
    tone = 'warn';
    text = host.message;
  } else {
    return null;
  }
  return (
    <div className={`banner banner-${tone}`} role="status" data-testid="host-banner">
      {text}
      {host?.status === 'ready' && (
        <button type="button" className="button button-quiet banner-dismiss" onClick={() => setDismissed(host)}>
          Dismiss
        </button>
      )}
    </div>
  );
}
