import type { DecoderStep } from '../engine/text/decoder-step';
import type { TextModelFolder } from '../engine/text/model-folder';
import { TextTokenizer } from '../engine/text/tokenizer';
import { heldOutText } from './fixtures';

/** Feeds the first `count` held-out tokens one step at a time (after a two-token prompt) to an export and its rewrite: the widest logit gap, and their last caches. */
export async function stepwiseGap(folder: TextModelFolder, exported: DecoderStep, rewritten: DecoderStep, count: number) {
  const ids = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.name).encode(heldOutText()).slice(0, count);
  let [a, b] = [await exported.forward(ids.slice(0, 2), exported.emptyCache()), await rewritten.forward(ids.slice(0, 2), rewritten.emptyCache())];
  let worst = 0;
  for (const id of ids.slice(2)) {
    [a, b] = [await exported.forward([id], a.cache), await rewritten.forward([id], b.cache)];
    worst = Math.max(worst, ...a.logits.map((value, i) => Math.abs(value - b.logits[i]!)));
  }
  return { worst, caches: { exported: a.cache, rewritten: b.cache } };
}

