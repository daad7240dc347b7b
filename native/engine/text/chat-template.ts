import { Template } from '@huggingface/jinja';
import { ApiError, type ChatMessage, type ChatTemplateSource } from '../../contract';

interface TokenizerConfigJson {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
}

/** Each turn as a plain paragraph, with no role labels a story model never saw; empty turns left out. */
const STORY_TURNS = "{% for message in messages if message.content | trim %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}{{ message.content | trim }}{% endfor %}";

/**
 * The chat template of the bundled Pareto Stories packages (in their tokenizer_config.json): the start
 * token, the system text as a preamble, then the turns, the answer continuing the last turn's text.
 */
export const STORY_CHAT_TEMPLATE = `{{ bos_token }}${STORY_TURNS}`;

const tokenText = (token: TokenizerConfigJson['bos_token']) => (typeof token === 'object' ? token.content : (token ?? ''));

function parse(source: string, modelName: string): Template {
  try {
    return new Template(source);
  } catch (error) {
    throw new ApiError('invalid_model', `The chat template of ${modelName} does not parse (${(error as Error).message}).`);
  }
}

/**
 * A model's chat template (`tokenizer_config.json`), else the story default for base story models (the
 * Pareto Stories template without its start token, which the tokenizer adds), rendered with Hugging Face's Jinja
 * implementation.
 */
export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    private readonly specialTokens: { bos_token: string; eos_token: string },
    /** Which template this is: the model's own, or the story default. */
    readonly source: ChatTemplateSource,
  ) {}

  /**
   * A model's own template writes its special tokens itself (Hugging Face's convention); the story
   * default's text is tokenized exactly as a prompt is, start token and leading-space rule included.
   */
  get addsSpecialTokensOnEncode(): boolean {
    return this.source === 'story-default';
  }

  static fromTokenizerConfig(config: object, modelName: string): ChatTemplate {
    const json = config as TokenizerConfigJson;
    const own = Array.isArray(json.chat_template)
      ? (json.chat_template.find((entry) => entry.name === 'default') ?? json.chat_template[0])?.template
      : json.chat_template;
    const specialTokens = { bos_token: tokenText(json.bos_token), eos_token: tokenText(json.eos_token) };
    if (own) return new ChatTemplate(parse(own, modelName), specialTokens, 'model');
    return new ChatTemplate(parse(STORY_TURNS, modelName), specialTokens, 'story-default');
  }

  render(messages: readonly ChatMessage[]): string {
    try {
      return this.template.render({ messages, add_generation_prompt: true, ...this.specialTokens });
    } catch (error) {
      throw new ApiError('bad_request', `The chat template rejected these messages: ${(error as Error).message}`);
    }
  }
}
