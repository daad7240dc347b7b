import type { ImageResult } from '../../../native/contract';
import { epLabel, formatNumber } from '../format';
import { liveMsPerStep, type ImageJobState } from '../state/imageJobState';
import { EnergyMetrics } from './EnergyMetrics';
import { Metric } from './Metric';
import { StepChart } from './ProfilerCharts';

/** The UNet precision of a run: "fp32", or steps per precision when dynamic precision split them ("3 int8 + 2 fp32"). */
export function formatPrecisionSteps(precisionSteps: Record<string, number>): string {
  const entries = Object.entries(precisionSteps);
  if (entries.length === 1) return entries[0]![0];
  return entries
    .sort(([, a], [, b]) => b - a)
    .map(([precision, steps]) => `${steps} ${precision}`)
    .join(' + ');
}

/** The cost of an image run: time per step and per image, memory, energy and where it ran. Live while it runs. */
export function ImageProfilerStrip({ job, result: picked }: { job: ImageJobState | undefined; result: ImageResult | null }) {
  const result = picked ?? job?.result ?? null;
  const metrics = result?.metrics ?? null;
  const msPerStep = picked ? picked.metrics.msPerStep : liveMsPerStep(job);
  const steps = result ? `${metrics!.steps}` : job?.steps ? `${job.step}/${job.steps}` : '—';
  const precision = metrics ? formatPrecisionSteps(metrics.precisionSteps) : (job?.precision ?? '—');
  const ep = result?.ep ?? job?.ep ?? null;
  const batchSize = metrics?.batchSize ?? 1;
  return (
    <footer className="profiler" aria-label="Profiler">
      <Metric label="Per step" value={formatNumber(msPerStep, msPerStep !== null && msPerStep < 10 ? 2 : 1)} unit="ms" testId="image-metric-ms-per-step" title={metrics ? 'Milliseconds per denoising step (UNet and scheduler)' : 'Live estimate from the steps so far'} />
      <Metric
        label={batchSize > 1 ? `Per image · ${batchSize}` : 'Per image'}
        value={formatNumber(metrics?.sPerImage, 2)}
        unit="s"
        testId="image-metric-s-per-image"
        title={batchSize > 1 ? `The batch's time over its ${batchSize} images: prompt encoding, every step (one UNet call for all where the graph allows), and decoding` : 'Seconds for the whole image: prompt encoding, every step, and decoding'}
      />
      <Metric label="Encode · decode" value={metrics ? `${formatNumber(metrics.textEncoderMs, 0)} · ${formatNumber(metrics.decodeMs, 0)}` : '—'} unit="ms" title="Text encoder and VAE decoder time" />
      <Metric label="Peak memory" value={formatNumber(metrics?.peakRssMb, 0)} unit="MB" testId="image-metric-memory" title="Peak resident memory of the engine during the run" />
      {!picked && <StepChart stepMs={job?.stepMs ?? []} />}
      <Metric label="Steps" value={steps} testId="image-metric-steps" title="Denoising steps" />
      <Metric label="Precision" value={precision} testId="image-metric-precision" title="Steps run at each UNet precision" />
      <Metric label="Guidance" value={result ? (result.cfg === 'none' ? 'off' : result.cfg) : '—'} title="How classifier-free guidance ran the UNet: one batch-2 pass, or two passes" />
      <EnergyMetrics live={picked ? null : (job?.energy ?? null)} final={metrics} unit="image" testIdPrefix="image-metric" />
      <Metric label="Provider" value={ep ? epLabel(ep) : '—'} testId="image-metric-ep" title="Execution provider this run used" />
    </footer>
  );
}
