import { Tokenizer } from '@huggingface/tokenizers';
import { ApiError } from '../../contract';
import { floatData, idsTensorFor, type GraphSession } from './graph-session';

/**
 * Prompt → text-encoder states, as CLIP pipelines do: the tokenizer adds start and end tokens,
 * long prompts are cut to the encoder's length (keeping the end token), short ones padded.
 */
export class PromptEncoder {
  private readonly tokenizer: Tokenizer;
  private readonly endId: number;
  private readonly padId: number;

  constructor(tokenizerJson: object, tokenizerConfig: object, modelName: string) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new ApiError('invalid_model', `tokenizer/tokenizer.json of ${modelName} could not be read (${(error as Error).message}).`);
    }
    const empty = this.tokenizer.encode('').ids;
    this.endId = empty.at(-1) ?? 0;
    const padToken = (tokenizerConfig as { pad_token?: unknown }).pad_token;
    const padName = typeof padToken === 'string' ? padToken : typeof padToken === 'object' && padToken !== null ? (padToken as { content?: string }).content : undefined;
    this.padId = (padName !== undefined ? this.tokenizer.token_to_id(padName) : undefined) ?? this.endId;
  }

  /** Exactly `length` ids: the encoded prompt, cut or padded. */
  ids(prompt: string, length: number): { ids: number[]; truncated: boolean } {
    const encoded = this.tokenizer.encode(prompt).ids;
    const truncated = encoded.length > length;
    const ids = truncated ? [...encoded.slice(0, length - 1), this.endId] : [...encoded, ...new Array<number>(length - encoded.length).fill(this.padId)];
    return { ids, truncated };
  }

  /** The text encoder's last_hidden_state for one prompt: [1, length, hidden] as float32. */
  async encode(encoder: GraphSession, prompt: string, length: number): Promise<{ states: Float32Array; dims: number[] }> {
    const input = encoder.requireInput('input_ids', 'a text encoder');
    const outputs = await encoder.run({ input_ids: idsTensorFor(input, this.ids(prompt, length).ids, [1, length]) });
    const output = outputs[encoder.outputName('last_hidden_state')]!;
    return { states: floatData(output, encoder.displayName), dims: output.dims.map(Number) };
  }
}
