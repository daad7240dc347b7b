import { useMemo, type ReactNode } from 'react';
import { EChart, type ChartOption } from '../charts/EChart';
import { lineChart } from '../charts/runCharts';
import { useDelayed, useThrottled } from '../charts/useThrottled';
import { runSeries, type EnergyReading, type RunSample } from '../state/runSamples';

/** How often the charts redraw while a run streams; each chart redraws `STAGGER_MS` after the one before, in a frame of its own. */
const REDRAW_MS = 250;
const STAGGER_MS = 50;
const COLOURS = { latency: '#7c8dff', throughput: '#4cc38a', memory: '#e4b15a', watts: '#f2726f', joules: '#c3cbff' };

function ChartCard({ title, testId, points, children }: { title: string; testId: string; points: number; children: ReactNode }) {
  return (
    <figure className="profiler-chart" data-testid={testId} data-points={points}>
      <figcaption className="metric-label">{title}</figcaption>
      {children}
    </figure>
  );
}

function StaggeredChart({ option, order, label }: { option: ChartOption; order: number; label: string }) {
  return <EChart option={useDelayed(option, order * STAGGER_MS)} label={label} />;
}

/** The run as charts: cost per token, throughput, memory, and power with cumulative energy where a meter reports them. */
export function ProfilerCharts({ samples, energy }: { samples: readonly RunSample[]; energy: readonly EnergyReading[] }) {
  const shown = useThrottled(samples, REDRAW_MS);
  const shownEnergy = useThrottled(energy, REDRAW_MS);
  const series = useMemo(() => runSeries(shown, shownEnergy), [shown, shownEnergy]);
  const options = useMemo(
    () => ({
      latency: lineChart([{ name: 'ms/token', data: series.msPerToken, colour: COLOURS.latency }], ['ms']),
      throughput: lineChart([{ name: 'tokens/s', data: series.tokensPerSecond, colour: COLOURS.throughput }], ['tok/s']),
      memory: lineChart([{ name: 'peak MB', data: series.peakRssMb, colour: COLOURS.memory }], ['MB']),
      energy: lineChart(
        [
          { name: 'watts', data: series.watts, colour: COLOURS.watts },
          { name: 'joules', data: series.joules, colour: COLOURS.joules, axis: 1 },
        ],
        ['W', 'J'],
      ),
    }),
    [series],
  );
  return (
    <div className="profiler-charts" aria-label="Charts of the run">
      <ChartCard title="ms / token over the run" testId="chart-ms-per-token" points={series.msPerToken.length}>
        <StaggeredChart option={options.latency} order={0} label="Milliseconds per token over the run" />
      </ChartCard>
      <ChartCard title="tokens / s" testId="chart-tokens-per-second" points={series.tokensPerSecond.length}>
        <StaggeredChart option={options.throughput} order={1} label="Tokens per second over the run" />
      </ChartCard>
      <ChartCard title="Peak memory" testId="chart-memory" points={series.peakRssMb.length}>
        <StaggeredChart option={options.memory} order={2} label="Peak memory of the engine over the run" />
      </ChartCard>
      <ChartCard title="Watts · cumulative joules" testId="chart-energy" points={series.joules.length}>
        {series.joules.length > 0 ? <StaggeredChart option={options.energy} order={3} label="Power and cumulative energy over the run" /> : <p className="chart-empty">Energy unavailable: no energy meter reported this run.</p>}
      </ChartCard>
    </div>
  );
}

/** An image run's cost per denoising step, step by step: small, inside the profiler's row of figures. */
export function StepChart({ stepMs }: { stepMs: [number, number][] }) {
  const option = useMemo(() => lineChart([{ name: 'ms/step', data: stepMs, colour: COLOURS.latency }], ['ms'], { x: 'step', inline: true }), [stepMs]);
  return (
    <figure className="metric metric-chart" data-testid="chart-ms-per-step" data-points={stepMs.length}>
      <figcaption className="metric-label">ms / step over the run</figcaption>
      <EChart option={option} label="Milliseconds per denoising step over the run" className="echart echart-inline" />
    </figure>
  );
}
