#!/usr/bin/env node
// Predicted versus measured cost of the λ choice on this machine (issue #9's benchmark, not a test):
// after `pareto calibrate`, N runs at each of λ 0, 0.5 and 1 for the bundled text and image families,
// each checked against the prediction made for it just before it ran.
//   node scripts/lambda-benchmark.mjs [--runs 5] [--kind text|image] [--calibrate] [--json]
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { StudioHost } = await import('../native/host/studio-host.ts');
const { defaultDataDir, defaultModelsDir } = await import('../native/host/paths.ts');
const { runTextJob } = await import('../native/cli/run-text-job.ts');
const { runImageJob } = await import('../native/cli/generate-image.ts');
const { median } = await import('../native/metering/statistics.ts');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, kind: { type: 'string' }, calibrate: { type: 'boolean' }, json: { type: 'boolean' } } });
const runs = Number(values.runs);
const kinds = values.kind ? [values.kind] : ['text', 'image'];
const LAMBDAS = [0, 0.5, 1];

const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });

/** One λ run: the point chosen, the prediction made for it, and what the profiler measured. */
async function runOnce(kind, lambda, seed) {
  let point = null;
  if (kind === 'text') {
    const result = await runTextJob(host, { prompt: 'Once upon a time', seed, lambda, maxNewTokens: 128 }, { onStarted: (config) => (point = config.operatingPoint) });
    return { id: `${point.model}:${point.precision}:${point.depth}`, predicted: { median: point.msPerToken, ...point.msPerTokenRange }, measured: result.metrics.msPerToken };
  }
  const unsubscribe = host.onEvent((event) => event.type === 'image-started' && (point = event.operatingPoint));
  const result = await runImageJob(host, { prompt: 'a smiling face', seed, lambda });
  unsubscribe();
  return { id: `${point.model}:${point.precision}:${point.steps}`, predicted: { median: point.sPerImage, ...point.sPerImageRange }, measured: result.metrics.sPerImage };
}

const rows = [];
try {
  for (const kind of kinds) {
    const preview = await host.invoke('planPreview', { family: kind, lambda: 0.5 });
    if (values.calibrate || preview.calibration.state !== 'calibrated') await host.invoke('calibrate', { kind });
    for (const lambda of LAMBDAS) {
      const samples = [];
      for (let run = 0; run < runs; run++) samples.push(await runOnce(kind, lambda, 7));
      const ids = [...new Set(samples.map((sample) => sample.id))];
      const measured = median(samples.map((sample) => sample.measured));
      const first = samples[0].predicted;
      rows.push({
        kind,
        lambda,
        points: ids,
        unit: kind === 'text' ? 'ms/token' : 's/image',
        predicted: first,
        measuredMedian: measured,
        measuredMin: Math.min(...samples.map((sample) => sample.measured)),
        measuredMax: Math.max(...samples.map((sample) => sample.measured)),
        medianWithinFirstPrediction: measured >= first.low && measured <= first.high,
        runsWithinOwnPrediction: samples.filter((sample) => sample.measured >= sample.predicted.low && sample.measured <= sample.predicted.high).length,
        runs,
      });
    }
  }
} finally {
  await host.dispose();
}

const digits = (row) => (row.unit === 'ms/token' ? 2 : 3);
if (values.json) {
  process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
} else {
  process.stdout.write('| family | λ | point(s) chosen | predicted median (spread) | measured median (min–max) | median within spread | runs within own prediction |\n|---|---|---|---|---|---|---|\n');
  for (const row of rows) {
    const d = digits(row);
    process.stdout.write(
      `| ${row.kind} | ${row.lambda.toFixed(1)} | ${row.points.join(', ')} | ${row.predicted.median.toFixed(d)} (${row.predicted.low.toFixed(d)}–${row.predicted.high.toFixed(d)}) ${row.unit} | ` +
        `${row.measuredMedian.toFixed(d)} (${row.measuredMin.toFixed(d)}–${row.measuredMax.toFixed(d)}) | ${row.medianWithinFirstPrediction ? 'yes' : 'no'} | ${row.runsWithinOwnPrediction}/${row.runs} |\n`,
    );
  }
}
