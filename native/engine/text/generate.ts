import type { FinishReason } from '../../contract';
import type { DecoderStep } from './decoder-step';
import type { LogitsProcessor } from './logits-processors';
import type { StoppingCriterion } from './stopping-criteria';
import type { Streamer } from './streamer';
import type { TokenChooser } from './token-chooser';
import type { TokenLogprobRecorder } from './token-logprobs';

export interface GenerateOptions {
  promptIds: readonly number[];
  processors: LogitsProcessor;
  chooser: TokenChooser;
  stopping: StoppingCriterion;
  streamer?: Streamer;
  logprobs?: TokenLogprobRecorder;
}

/** The decoding loop: prefill the prompt, then one cached step per token until a criterion stops it. */
export async function generateTokens(session: DecoderStep, options: GenerateOptions): Promise<{ generatedIds: number[]; finishReason: FinishReason }> {
  const generatedIds: number[] = [];
  let cache = session.emptyCache();
  let input: readonly number[] = options.promptIds;
  for (;;) {
    const step = await session.forward(input, cache);
    cache = step.cache;
    options.logprobs?.observe(step.logits);
    options.processors.process(step.logits, generatedIds);
    const next = options.chooser.choose(step.logits);
    options.logprobs?.chosen(next);
    generatedIds.push(next);
    options.streamer?.put([next]);
    const finishReason = options.stopping.check(generatedIds);
    if (finishReason) {
      options.streamer?.end();
      return { generatedIds, finishReason };
    }
    input = [next];
  }
}
