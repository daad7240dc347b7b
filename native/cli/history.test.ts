import { describe, expect, it } from 'vitest';
import { temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { expectOneLineError, paretoWithHome } from '../testing/cli';

describe('pareto history', () => {
  it('lists, shows and deletes what earlier generations kept', async () => {
    const home = temporaryDir();
    const generate = (prompt: string) => paretoWithHome(home, 'generate', 'text', '--model', tinyStoriesOnnx(), '--prompt', prompt, '--max-new-tokens', '6', '--greedy');
    expect((await generate('A fox')).code).toBe(0);
    expect((await generate('A bear')).code).toBe(0);

    const listed = await paretoWithHome(home, 'history', 'list', '--json');
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout);
    expect(page.total).toBe(2);
    expect(page.entries.map((entry: { prompt: string }) => entry.prompt)).toEqual(['A bear', 'A fox']);
    const [bear, fox] = page.entries as { id: string; text: string }[];

    const text = await paretoWithHome(home, 'history', 'list', '--search', 'fox');
    expect(text.stdout).toMatch(new RegExp(`^${fox!.id}\\t\\S+\\ttext\\t\\S*tinystories-656k-onnx\\t6 tok, \\d+ tok/s\\tA fox\\n1 of 1 shown`));

    const shown = await paretoWithHome(home, 'history', 'show', bear!.id);
    expect(shown.stdout).toContain('prompt: A bear');
    expect(shown.stdout).toContain(bear!.text);
    expect(JSON.parse((await paretoWithHome(home, 'history', 'show', bear!.id, '--json')).stdout)).toMatchObject({ id: bear!.id, kind: 'text', request: { prompt: 'A bear', maxNewTokens: 6 } });

    expect(JSON.parse((await paretoWithHome(home, 'history', 'delete', bear!.id, '--json')).stdout)).toEqual({ deleted: true, id: bear!.id });
    expect(JSON.parse((await paretoWithHome(home, 'history', 'list', '--json')).stdout).entries.map((entry: { id: string }) => entry.id)).toEqual([fox!.id]);
    expectOneLineError(await paretoWithHome(home, 'history', 'show', bear!.id), /No history entry/);
  });

  it('gives one line and a non-zero exit for bad input', async () => {
    const home = temporaryDir();
    const cases: [string[], RegExp][] = [
      [['show'], /needs an entry id/],
      [['list', '--kind', 'video'], /--kind must be one of text, image/],
      [['list', '--limit', '0'], /--limit must be an integer from 1 to 200/],
      [['purge'], /Unknown history action "purge"/],
    ];
    const results = await Promise.all(cases.map(([args]) => paretoWithHome(home, 'history', ...args)));
    results.forEach((result, index) => expectOneLineError(result, cases[index]![1]));
    expect((await paretoWithHome(home, 'history', 'list')).stdout).toBe('No outputs in history yet.\n');
  });
});
