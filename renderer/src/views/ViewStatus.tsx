import type { ReactNode } from 'react';

/** A whole view's loading or failure state. */
export function ViewStatus({ error = false, children }: { error?: boolean; children: ReactNode }) {
  return (
    <div className={`view-status${error ? ' view-status-error' : ''}`} role={error ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
