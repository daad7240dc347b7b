import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../testing/fixtures';
import { ChatTemplate, STORY_CHAT_TEMPLATE } from './chat-template';

const config = { bos_token: '<s>', eos_token: '</s>' };

describe('chat templates', () => {
  it('use the story default for a model without one: the system text as a preamble, turns as paragraphs, the last one continued', () => {
    const template = ChatTemplate.fromTokenizerConfig(config, 'base');
    expect(template.source).toBe('story-default');
    const rendered = template.render([
      { role: 'system', content: 'A story for children.' },
      { role: 'user', content: 'Tom had a red ball. ' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'One day, the ball' },
    ]);
    expect(rendered).toBe('A story for children.\n\nTom had a red ball.\n\nOne day, the ball');
    expect(template.addsSpecialTokensOnEncode).toBe(true);
  });

  it("use the model's own template when tokenizer_config.json has one", () => {
    const template = ChatTemplate.fromTokenizerConfig({ ...config, chat_template: '[{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}]' }, 'chat');
    expect(template.source).toBe('model');
    expect(template.addsSpecialTokensOnEncode).toBe(false);
    expect(template.render([{ role: 'user', content: 'hi' }])).toBe('[user:hi;]');
  });

  it('ship the story template in every bundled Pareto Stories package', () => {
    const stories = fs.readdirSync(bundledModels()).filter((name) => name.startsWith('pareto-stories-'));
    expect(stories.length).toBeGreaterThanOrEqual(3);
    for (const name of stories) {
      const tokenizerConfig = JSON.parse(fs.readFileSync(path.join(bundledModels(), name, 'tokenizer_config.json'), 'utf8'));
      expect(tokenizerConfig.chat_template).toBe(STORY_CHAT_TEMPLATE);
    }
  });
});
