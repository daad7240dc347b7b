import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../contract';
import { tinyStoriesOnnx } from '../../testing/fixtures';
import { SessionPool } from '../onnx/session-pool';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

describe('the attention window’s step-cost measurement', () => {
  it('does not keep a session alive once the pool has evicted it', async () => {
    const pool = new SessionPool(0); // no budget: an idle session is closed and forgotten at once
    const generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((label) => collected.push(label));
    await (async () => {
      const prepared = await generator.prepare(TextGenerationRequestSchema.parse({ model: 'fixture', prompt: 'Once', maxNewTokens: 2, window: 'auto' }));
      registry.register(prepared.primary, 'measured session');
      prepared.leases.forEach((lease) => lease.release());
    })();
    expect(pool.keys()).toEqual([]);
    for (let attempt = 0; attempt < 20 && collected.length === 0; attempt++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(collected).toEqual(['measured session']);
  });
});
