import { useState } from 'react';
import { epLabel, formatLambda, formatLayers, formatNumber, formatPrecisionShare } from '../format';
import type { JobState } from '../state/jobState';
import { EnergyMetrics } from './EnergyMetrics';
import { Metric } from './Metric';
import { ProfilerCharts } from './ProfilerCharts';

const SHORT_WINDOW_PX = 800;

/** Live cost of the current run: latency, throughput, memory, energy and where it ran, with charts of the run. */
export function ProfilerStrip({ job }: { job: JobState | undefined }) {
  // On a short window the story needs the height; the charts are one click away.
  const [chartsShown, setChartsShown] = useState(() => window.innerHeight >= SHORT_WINDOW_PX);
  const metrics = job?.metrics ?? null;
  const config = job?.config ?? null;
  const point = config?.operatingPoint ?? null;
  const share = metrics?.precisionShare ?? null;
  const chosenBy = point ? `selected by λ ${formatLambda(point.lambda)}` : 'as requested';
  const depthTitle = `active layers ${chosenBy}`;
  return (
    <footer className="profiler-pane" aria-label="Profiler">
      {chartsShown && <ProfilerCharts samples={job?.samples ?? []} energy={job?.energyReadings ?? []} />}
      <div className="profiler">
        <Metric label="TTFT" value={formatNumber(metrics?.ttftMs)} unit="ms" testId="metric-ttft" title="Time to first token" />
        <Metric label="Per token" value={formatNumber(metrics?.msPerToken, 2)} unit="ms" testId="metric-ms-per-token" title="Milliseconds per generated token" />
        <Metric label="Throughput" value={formatNumber(metrics?.tokensPerSecond)} unit="tok/s" testId="metric-tps" title="Generated tokens per second" />
        <Metric label="Peak memory" value={formatNumber(metrics?.peakRssMb, 0)} unit="MB" testId="metric-memory" title="Peak resident memory of the engine" />
        <Metric label="Tokens" value={job ? String(job.tokenCount) : '—'} testId="metric-tokens" title="Tokens generated" />
        <EnergyMetrics live={job?.energy ?? null} final={job?.status === 'done' ? metrics : null} unit="token" testIdPrefix="metric" />
        <Metric label="Provider" value={job?.ep ? epLabel(job.ep) : '—'} testId="metric-ep" title="Execution provider this run used" />
        <div className="metric" title={share ? `Dynamic precision: share of tokens per variant; ${depthTitle}` : `Precision variant and active layers, ${chosenBy}`}>
          <span className="metric-label">{share ? 'Precision share · depth' : 'Precision · depth'}</span>
          <span className="metric-value">
            {share ? <span data-testid="precision-share">{formatPrecisionShare(share)}</span> : <span data-testid="metric-precision">{config?.precision ?? '—'}</span>}
            {config && (
              <span className="metric-unit" data-testid="metric-depth">
                · {config.depth === null ? 'full depth' : formatLayers(config.depth)}
              </span>
            )}
          </span>
        </div>
        <button type="button" className="button button-quiet profiler-toggle" aria-pressed={chartsShown} onClick={() => setChartsShown((shown) => !shown)} data-testid="profiler-charts-toggle" title={chartsShown ? 'Hide the charts of the run' : 'Show the charts of the run'}>
          {chartsShown ? 'Hide charts' : 'Charts'}
        </button>
      </div>
    </footer>
  );
}
