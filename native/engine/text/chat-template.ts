import { Template } from '@huggingface/jinja';
import { ApiError, type ChatMessage } from '../../contract';

interface TokenizerConfigJson {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
}

const tokenText = (token: TokenizerConfigJson['bos_token']) => (typeof token === 'object' ? token.content : (token ?? ''));

/** A model's chat template (`tokenizer_config.json`), rendered with Hugging Face's Jinja implementation. */
export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    private readonly specialTokens: { bos_token: string; eos_token: string },
  ) {}

  /** The model's default template, or null when it has none. */
  static fromTokenizerConfig(config: object, modelName: string): ChatTemplate | null {
    const json = config as TokenizerConfigJson;
    const source = Array.isArray(json.chat_template)
      ? (json.chat_template.find((entry) => entry.name === 'default') ?? json.chat_template[0])?.template
      : json.chat_template;
    if (!source) return null;
    try {
      return new ChatTemplate(new Template(source), { bos_token: tokenText(json.bos_token), eos_token: tokenText(json.eos_token) });
    } catch (error) {
      throw new ApiError('invalid_model', `The chat template of ${modelName} does not parse (${(error as Error).message}).`);
    }
  }

  render(messages: readonly ChatMessage[]): string {
    try {
      return this.template.render({ messages, add_generation_prompt: true, ...this.specialTokens });
    } catch (error) {
      throw new ApiError('bad_request', `The chat template rejected these messages: ${(error as Error).message}`);
    }
  }
}
