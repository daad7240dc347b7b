import type { TokenLogprob } from '../../contract';
import { topIndices } from './logits-processors';
import { logNormalizer } from './teacher-forcing';

/** Tokens of context a token's text is decoded after, so word-leading spaces come out as the full text has them. */
const PIECE_CONTEXT = 4;

/**
 * Records, for each generated token, its log-probability and the `top` likeliest alternatives under the
 * model's own distribution: the log-softmax of the logits before any sampling rule reshapes them, so a
 * temperature or penalty changes which token is drawn but not what the model said of it.
 */
export class TokenLogprobRecorder {
  readonly entries: TokenLogprob[] = [];
  private readonly context: number[];
  private logits: Float32Array | null = null;

  constructor(
    private readonly top: number,
    private readonly decode: (ids: readonly number[]) => string,
    promptIds: readonly number[],
  ) {
    this.context = promptIds.slice(-PIECE_CONTEXT);
  }

  /** Takes a copy of a step's logits before the processors change them in place. */
  observe(logits: Float32Array): void {
    this.logits = logits.slice();
  }

  /** The entry for the token chosen from the last observed logits. */
  chosen(id: number): TokenLogprob {
    const logits = this.logits!;
    const normalizer = logNormalizer(logits);
    const prefix = this.decode(this.context);
    const describe = (tokenId: number) => ({ id: tokenId, token: this.decode([...this.context, tokenId]).slice(prefix.length), logprob: logits[tokenId]! - normalizer });
    const entry = { ...describe(id), top: this.top > 0 ? topIndices(logits, this.top).map(describe) : [] };
    this.entries.push(entry);
    this.context.push(id);
    if (this.context.length > PIECE_CONTEXT) this.context.shift();
    return entry;
  }
}

/**
 * The entries of the tokens that make up an output of `length` characters: those of a stop string (or
 * an end token) go as their text does, and a token that ends in the first characters of one stays.
 */
export function entriesWithin(entries: readonly TokenLogprob[], length: number): TokenLogprob[] {
  const kept: TokenLogprob[] = [];
  let start = 0;
  for (const entry of entries) {
    if (start >= length) break;
    kept.push(entry);
    start += entry.token.length;
  }
  return kept;
}
