import type { ReactNode } from 'react';

/** One labelled number of the profiler strip; `detail` is a small line under it (a range, a source). */
export function Metric({ label, value, unit, testId, title, detail, children }: { label: string; value: string; unit?: string; testId?: string; title?: string; detail?: ReactNode; children?: ReactNode }) {
  return (
    <div className="metric" title={title}>
      <span className="metric-label">{label}</span>
      <span className="metric-value">
        <span data-testid={testId}>{value}</span>
        {unit && value !== '—' && <span className="metric-unit">{unit}</span>}
        {children}
      </span>
      {detail && <span className="metric-detail">{detail}</span>}
    </div>
  );
}
