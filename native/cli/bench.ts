import fs from 'node:fs';
import path from 'node:path';
import { EXECUTION_PROVIDERS } from '../contract';
import { benchImage } from '../bench/image-bench';
import { describeDecoderGraph } from '../engine/text/fused/fused-decoder';
import { benchShape } from '../bench/shape-bench';
import { MODEL_SHAPES } from '../bench/synthetic-model';
import { benchText } from '../bench/text-bench';
import type { ColdStart } from '../bench/cold-start';
import { TEXT_PEERS, type TextPeer } from '../bench/text-peers';
import { defaultModelsDir, defaultRecipesDir } from '../host/paths';
import { choiceOption, integerOption, parseOptions, UsageError } from './args';
import { BENCH_USAGE } from './usage';


const FIXTURE_MODEL = path.resolve('../shared/fixtures/tinystories-656k-onnx');
const FIXTURE_SAFETENSORS = path.resolve('../shared/fixtures/tinystories-656k');

function peersOption(value: string | undefined): TextPeer[] {
  if (value === undefined) return [...TEXT_PEERS];
  if (value === 'none') return [];
  const peers = value.split(',');
  for (const peer of peers) choiceOption('peers', peer, TEXT_PEERS);
  return peers as TextPeer[];
}

export async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    model: { type: 'string' },
    safetensors: { type: 'string' },
    peers: { type: 'string' },
    'new-tokens': { type: 'string' },
    repeats: { type: 'string' },
    prompt: { type: 'string' },
    ep: { type: 'string' },
    'model-shape': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals[0] === 'image') return benchImages(values);
  if (positionals[0] !== 'text') throw new UsageError(`Unknown bench "${positionals[0] ?? ''}". Usage: ${BENCH_USAGE}`);
  if (values['model-shape'] !== undefined) return benchModelShape(values);
  const modelDir = values.model ?? FIXTURE_MODEL;
  if (!values.model && !fs.existsSync(modelDir)) throw new UsageError(`No --model given and the reference fixture ${modelDir} is missing.`);
  const report = await benchText({
    modelDir,
    safetensorsDir: values.safetensors ?? (values.model ? null : FIXTURE_SAFETENSORS),
    peers: peersOption(values.peers),
    prompt: values.prompt ?? 'Once upon a time',
    newTokens: integerOption('new-tokens', values['new-tokens'], 2, 4096) ?? 256,
    repeats: integerOption('repeats', values.repeats, 1, 100) ?? 7,
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS) ?? 'cpu',
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const line = (label: string, ms: number | undefined) => (ms === undefined ? '' : `  ${label.padEnd(22)} ${ms.toFixed(3)} ms/token\n`);
  const ratio = (label: string, value: number | undefined, target: string) => (value === undefined ? '' : `  ${label.padEnd(22)} ${value.toFixed(2)}× (target ${target})\n`);
  process.stdout.write(
    `${report.model}: ${report.newTokens} new tokens after ${report.promptTokens} prompt tokens, median of ${report.repeats} runs, ${report.ep}\n` +
      `  graph: ${describeDecoderGraph(report.graph)}\n` +
      line('engine', report.engine.msPerTokenMedian) +
      line('bare session.run', report.peers.bare?.msPerTokenMedian) +
      line('bare run, export', report.peers.bareExport?.msPerTokenMedian) +
      line('transformers.js', report.peers.transformersJs?.msPerTokenMedian) +
      line('PyTorch eager', report.peers.pytorchEager?.msPerTokenMedian) +
      line('synthetic int8', report.peers.int8?.msPerTokenMedian) +
      line('engine, meter on', report.peers.meter?.msPerTokenMedian) +
      ratio('overheadVsBareRun', report.ratios.overheadVsBareRun, '≤ 1.10') +
      (report.ratios.vsBareExportRun === undefined ? '' : `  ${'vsBareExportRun'.padEnd(22)} ${report.ratios.vsBareExportRun.toFixed(2)}×\n`) +
      ratio('vsTransformersJs', report.ratios.vsTransformersJs, '≥ 1.5') +
      ratio('vsPytorchEager', report.ratios.vsPytorchEager, '≥ 2') +
      ratio('int8VsFp32', report.ratios.int8VsFp32, '≥ 2') +
      ratio('meterOnVsOff', report.ratios.meterOnVsOff, '≤ 1.01') +
      (report.meter
        ? `  meter: ${report.meter.source}, ${report.meter.cpuMicrosPerSample.toFixed(1)} µs CPU a sample = ${report.meter.percentOfCoreAtRate.toFixed(4)}% of a core (target < 1%); ` +
          `${report.meter.samples} samples during the runs took ${report.meter.busyMs.toFixed(1)} ms of wall time in ${(report.meter.spanMs / 1000).toFixed(1)} s (waits on a busy machine included)\n`
        : '') +
      coldStartLine(report.precision, report.coldStart) +
      Object.entries(report.skipped).map(([peer, why]) => `  skipped ${peer}: ${why}\n`).join(''),
  );
  return 0;
}

function coldStartLine(precision: string, coldStart: ColdStart | undefined): string {
  if (!coldStart) return '';
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    `  cold start, ${precision}: first load ${seconds(coldStart.firstLoadMs)} to the first token, second ${seconds(coldStart.secondLoadMs)} (${coldStart.ratio.toFixed(2)}×); ` +
    `the first process ended ${seconds(coldStart.firstLoadExitMs)} after it started, once its rewrite was stored\n`
  );
}

async function benchModelShape(values: { 'model-shape'?: string; 'new-tokens'?: string; repeats?: string; prompt?: string; peers?: string; ep?: string; json?: boolean }): Promise<number> {
  if (values.peers !== undefined && values.peers !== 'none' && values.peers !== 'transformersJs') throw new UsageError('--peers with --model-shape is transformersJs or none.');
  const report = await benchShape({
    shape: choiceOption('model-shape', values['model-shape'], MODEL_SHAPES)!,
    prompt: values.prompt ?? 'Once upon a time',
    newTokens: integerOption('new-tokens', values['new-tokens'], 2, 4096) ?? 64,
    repeats: integerOption('repeats', values.repeats, 1, 100) ?? 5,
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS) ?? 'cpu',
    transformersJs: values.peers !== 'none',
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const rows = Object.entries(report.precisions).map(([name, result]) => {
    const peer = result.transformersJs ? `, transformers.js ${result.transformersJs.msPerTokenMedian.toFixed(2)} ms/token (${report.ratios.vsTransformersJs[name as keyof typeof report.ratios.vsTransformersJs]!.toFixed(2)}×)` : '';
    const kernel = result.kernelRooflineFraction === undefined ? '' : `, ${(result.kernelRooflineFraction * 100).toFixed(0)}% of the int4 kernel`;
    const exported = result.studioExport ? `, studio on the export ${result.studioExport.msPerTokenMedian.toFixed(2)} (fused ${report.ratios.fusedVsExport[name as keyof typeof report.ratios.fusedVsExport]!.toFixed(2)}×)` : '';
    return `  ${name.padEnd(15)} ${result.studio.msPerTokenMedian.toFixed(2)} ms/token${exported}${peer}; ${(result.weightBytesPerToken / 1e6).toFixed(0)} MB/token, roofline ${(result.rooflineFraction * 100).toFixed(0)}% of copy, ${(result.readRooflineFraction * 100).toFixed(0)}% of read${kernel}; ${describeDecoderGraph(result.graph)}\n`;
  });
  process.stdout.write(
    `${report.shape} shape (random weights): ${report.newTokens} new tokens after ${report.promptTokens}, median of ${report.repeats} interleaved runs, ${report.ep}; ` +
      `copy bandwidth ${report.memoryBandwidth.gbPerSecond.toFixed(1)} GB/s, read bandwidth on ${report.memoryBandwidth.readThreads} cores ${report.memoryBandwidth.readGbPerSecond.toFixed(1)} GB/s; ` +
      `onnxruntime's int4 kernel alone (${report.int4Kernel.n}×${report.int4Kernel.k}) reads ${report.int4Kernel.gbPerSecond.toFixed(1)} GB/s of weights on ${report.int4Kernel.threads} threads, ${report.int4Kernel.oneThreadGbPerSecond.toFixed(1)} on one\n` +
      `  ${report.comparison}\n` +
      rows.join('') +
      (report.ratios.int4VsFp32 === undefined ? '' : `  int4VsFp32 ${report.ratios.int4VsFp32.toFixed(2)}×, int4 accuracy level 4 vs default ${report.ratios.int4AccuracyLevel4VsDefault!.toFixed(2)}×\n`) +
      coldStartLine('int4', report.coldStart) +
      Object.entries(report.skipped).map(([peer, why]) => `  skipped ${peer}: ${why}\n`).join(''),
  );
  return 0;
}

async function benchImages(values: { repeats?: string; ep?: string; json?: boolean }): Promise<number> {
  const report = await benchImage({
    modelsDir: defaultModelsDir(),
    recipeDir: defaultRecipesDir(),
    repeats: integerOption('repeats', values.repeats, 1, 100) ?? 5,
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS) ?? 'cpu',
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const ms = (value: number) => `${(value * 1000).toFixed(1)} ms`;
  const parts = (t: typeof report.teacher) =>
    `text encoder ${t.partsMsMedian.textEncoder.toFixed(2)} + UNet steps ${t.partsMsMedian.unetSteps.toFixed(2)} + decode and PNG ${t.partsMsMedian.decodeAndPng.toFixed(2)} ms`;
  const role = (label: string, t: typeof report.teacher) =>
    `  ${label.padEnd(8)} ${t.model}: ${t.steps} steps, ${ms(t.sPerImageMedian)}/image (${parts(t)}), ${t.msPerStepMedian.toFixed(2)} ms/step on ${t.threads} thread(s)` +
    (Object.keys(t.byThreads).length === 0
      ? ''
      : `; by threads, engine / PyTorch eager ms/step: ${Object.entries(t.byThreads)
          .map(([threads, b]) => `${threads}: ${b.engineMsPerStep?.toFixed(2) ?? '—'} / ${b.pytorchMsPerStep.toFixed(2)}`)
          .join(', ')} (${t.pytorchWeights})`) +
    '\n' +
    Object.entries(t.precisions)
      .map(([precision, p]) => `    ${precision.padEnd(5)} ${ms(p.sPerImageMedian)}/image, ${p.msPerStepMedian.toFixed(2)} ms/step${p.foldedWeightDequantize ? ' (int8 weights dequantised once at load)' : ''}\n`)
      .join('');
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  process.stdout.write(
    `image family, median of ${report.repeats} images each, interleaved with PyTorch, ${report.ep}; load average ${load(report.loadAverage.start)} → ${load(report.loadAverage.end)}\n` +
      role('teacher', report.teacher) +
      role('student', report.student) +
      (report.ratios.vsPytorchEager === undefined ? '' : `  vsPytorchEager         ${report.ratios.vsPytorchEager.toFixed(2)}× (target ≥ 1.5; same weights, batch and threads)\n`) +
      Object.entries(report.ratios.vsPytorchEagerByThreads)
        .map(([threads, ratio]) => `    both on ${threads} thread(s) ${ratio.toFixed(2)}×\n`)
        .join('') +
      `  teacher/student image  ${report.ratios.teacherVsStudentPerImage.toFixed(2)}× (target ≥ 8)\n` +
      Object.entries(report.skipped).map(([peer, why]) => `  skipped ${peer}: ${why}\n`).join(''),
  );
  return 0;
}
