import vm from 'node:vm';
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

/**
 * What one render may take: a template is code from the model folder, and nested loops can run for minutes
 * or build gigabytes. Past the time budget V8 stops it mid-run (vm's watchdog ends any JavaScript running).
 */
const RENDER_BUDGET_MS = 1000;
const MAX_RENDERED_CHARS = 4_000_000;

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
    private readonly modelName: string,
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
    if (own) return new ChatTemplate(parse(own, modelName), modelName, specialTokens, 'model');
    return new ChatTemplate(parse(STORY_TURNS, modelName), modelName, specialTokens, 'story-default');
  }

  render(messages: readonly ChatMessage[]): string {
    let text: string;
    try {
      const render = () => this.template.render({ messages, add_generation_prompt: true, ...this.specialTokens });
      text = vm.runInNewContext('render()', { render }, { timeout: RENDER_BUDGET_MS });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new ApiError('invalid_model', `The chat template of ${this.modelName} ran over its ${RENDER_BUDGET_MS / 1000} s budget for these messages and was stopped.`);
      }
      throw new ApiError('bad_request', `The chat template rejected these messages: ${(error as Error).message}`);
    }
    if (text.length > MAX_RENDERED_CHARS) {
      throw new ApiError('invalid_model', `The chat template of ${this.modelName} wrote ${text.length.toLocaleString('en')} characters for these messages, over its ${MAX_RENDERED_CHARS.toLocaleString('en')}-character budget.`);
    }
    return text;
  }
}
