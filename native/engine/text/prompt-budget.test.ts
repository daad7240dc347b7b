import { afterEach, describe, expect, it, vi } from 'vitest';
import { TextGenerationRequestSchema } from '../../contract';
import { tinyStoriesOnnx } from '../../testing/fixtures';
import { ChatTemplate } from './chat-template';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';
import { TextTokenizer } from './tokenizer';
import { SessionPool } from '../onnx/session-pool';
import type { DecoderSession } from './decoder-session';

afterEach(() => vi.restoreAllMocks());

const chat = (chat_template: string) => ChatTemplate.fromTokenizerConfig({ bos_token: '<s>', eos_token: '</s>', chat_template }, 'hostile');

describe('prompt and template budgets (finding 4)', () => {
  it('stops a chat template that loops past its time budget', () => {
    const template = chat('{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}');
    expect(() => template.render([{ role: 'user', content: 'hi' }])).toThrowError(expect.objectContaining({ code: 'invalid_model', message: 'The chat template of hostile ran over its 1 s budget for these messages and was stopped.' }));
  });

  it('refuses what a chat template writes past its output budget', () => {
    const template = chat('{% for m in messages %}{% for n in range(50) %}{{ m.content }}{% endfor %}{% endfor %}');
    expect(() => template.render([{ role: 'user', content: 'x'.repeat(100_000) }])).toThrowError(/wrote 5,000,000 characters for these messages, over its 4,000,000-character budget/);
  });

  it('refuses a prompt that cannot fit the context from its byte length, before tokenising it', () => {
    const generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), new SessionPool<DecoderSession>(Infinity));
    const encode = vi.spyOn(TextTokenizer.prototype, 'encode');
    const request = TextGenerationRequestSchema.parse({ model: 'fixture', prompt: 'Once upon a time '.repeat(58_000) });
    expect(() => generator.encodePrompt(request)).toThrowError(/The prompt is at least \d+ tokens but tinystories-656k-onnx holds 512; shorten the prompt/);
    expect(encode).not.toHaveBeenCalled();
    expect(generator.encodePrompt({ prompt: 'Once upon a time' }).length).toBeGreaterThan(1);
  });
});
