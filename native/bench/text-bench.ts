import { TextGenerationRequestSchema, type ExecutionProvider } from '../contract';
import { SessionPool } from '../engine/onnx/session-pool';
import type { DecoderSession } from '../engine/text/decoder-session';
import { loadTextModelFolder } from '../engine/text/model-folder';
import { TextGenerator } from '../engine/text/text-generator';
import { median } from '../metering/statistics';

export interface TextBenchOptions {
  modelDir: string;
  prompt: string;
  newTokens: number;
  repeats: number;
  ep: ExecutionProvider;
}

export interface TextBenchReport {
  model: string;
  prompt: string;
  promptTokens: number;
  newTokens: number;
  repeats: number;
  ep: ExecutionProvider;
  engine: { msPerTokenMedian: number; msPerToken: number[]; ttftMsMedian: number };
  bareRun: { msPerTokenMedian: number; msPerToken: number[] };
  ratios: { overheadVsBareRun: number };
}

/**
 * Times `session.run` alone over the same tokens the engine produced: every feed is built before
 * the clock starts, and each step only chains the present key/values into the next past.
 */
async function timeBareRun(decoder: DecoderSession, promptIds: readonly number[], generatedIds: readonly number[]): Promise<number> {
  const steps = [promptIds, ...generatedIds.slice(0, -1).map((id) => [id])];
  let pastLength = 0;
  const feeds = steps.map((ids) => {
    const built = { feeds: decoder.tokenFeeds(ids, pastLength), count: ids.length };
    pastLength += ids.length;
    return built;
  });
  let cache = decoder.emptyCache();
  let firstAt = 0;
  for (const [index, step] of feeds.entries()) {
    cache = (await decoder.run(step.feeds, cache, step.count)).cache;
    if (index === 0) firstAt = performance.now();
  }
  return (performance.now() - firstAt) / (feeds.length - 1);
}

/** The engine against bare session.run on one model and one token sequence, interleaved run by run. */
export async function benchText(options: TextBenchOptions): Promise<TextBenchReport> {
  const folder = loadTextModelFolder(options.modelDir);
  const pool = new SessionPool<DecoderSession>(Infinity);
  const generator = new TextGenerator(folder, pool);
  const request = TextGenerationRequestSchema.parse({
    model: folder.dir,
    prompt: options.prompt,
    maxNewTokens: options.newTokens,
    minNewTokens: options.newTokens,
    doSample: false,
    ep: options.ep,
  });
  try {
    const warmRun = await generator.prepare(request);
    const decoder = warmRun.primary;
    const warm = await generator.run(warmRun);
    await timeBareRun(decoder, warm.promptIds, warm.generatedIds);
    const engine: number[] = [];
    const ttft: number[] = [];
    const bare: number[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const result = await generator.generate(request);
      engine.push(result.metrics.msPerToken!);
      ttft.push(result.metrics.ttftMs!);
      bare.push(await timeBareRun(decoder, result.promptIds, result.generatedIds));
    }
    const engineMedian = median(engine);
    const bareMedian = median(bare);
    return {
      model: folder.name,
      prompt: options.prompt,
      promptTokens: warm.promptIds.length,
      newTokens: warm.generatedIds.length,
      repeats: options.repeats,
      ep: decoder.ep,
      engine: { msPerTokenMedian: engineMedian, msPerToken: engine, ttftMsMedian: median(ttft) },
      bareRun: { msPerTokenMedian: bareMedian, msPerToken: bare },
      ratios: { overheadVsBareRun: engineMedian / bareMedian },
    };
  } finally {
    await pool.closeAll();
  }
}
