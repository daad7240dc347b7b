import { Tokenizer } from '@huggingface/tokenizers';
import { ApiError } from '../../contract';

/**
 * Text ↔ token ids from a model's own `tokenizer.json`, through Hugging Face's tokenizers.js:
 * it implements every tokenizer.json model (BPE with byte fallback, Unigram, WordPiece), normalizer,
 * pre-tokenizer and decoder the way the Python `tokenizers` library does.
 */
/** The UTF-8 length of the vocabulary's longest token (BPE and WordPiece vocabularies, Unigram pieces, added tokens). */
function longestTokenBytes(tokenizerJson: object): number {
  const json = tokenizerJson as { model?: { vocab?: unknown }; added_tokens?: { content?: unknown }[] };
  const vocab = json.model?.vocab;
  const tokens = Array.isArray(vocab) ? vocab.map((piece: unknown) => (Array.isArray(piece) ? piece[0] : piece)) : Object.keys(vocab ?? {});
  const added = (json.added_tokens ?? []).map((token) => token.content);
  return [...tokens, ...added].reduce<number>((longest, token) => (typeof token === 'string' ? Math.max(longest, Buffer.byteLength(token)) : longest), 0);
}

/** Normalizers can shrink text (NFKC, accent stripping), so the byte bound allows this much more per token. */
const NORMALIZER_SLACK = 4;

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** The most bytes of text one token can stand for, normalisation allowed for; 0 when the vocabulary does not say. */
  private readonly maxBytesPerToken: number;

  constructor(tokenizerJson: object, tokenizerConfig: object, modelName: string) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new ApiError('invalid_model', `tokenizer.json of ${modelName} could not be read (${(error as Error).message}).`);
    }
    this.maxBytesPerToken = longestTokenBytes(tokenizerJson) * NORMALIZER_SLACK;
  }

  /** The fewest tokens a text can encode to, from its byte length alone: a bound checked before tokenising it in full. */
  minimumTokens(text: string): number {
    return this.maxBytesPerToken > 0 ? Math.ceil(Buffer.byteLength(text) / this.maxBytesPerToken) : 0;
  }

  /** Chat-rendered prompts already carry their special tokens as text, so they are encoded without adding more. */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** The text of a token as written in the vocabulary, e.g. `<|end_story|>` for an end token. */
  tokenText(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }
}
