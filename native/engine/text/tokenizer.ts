import { Tokenizer } from '@huggingface/tokenizers';
import { ApiError } from '../../contract';

/**
 * Text ↔ token ids from a model's own `tokenizer.json`, through Hugging Face's tokenizers.js:
 * it implements every tokenizer.json model (BPE with byte fallback, Unigram, WordPiece), normalizer,
 * pre-tokenizer and decoder the way the Python `tokenizers` library does.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: object, modelName: string) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new ApiError('invalid_model', `tokenizer.json of ${modelName} could not be read (${(error as Error).message}).`);
    }
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
