import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** Lints `code` as though it were the file at `file` (relative to the project root), with the project's own config. */
async function ruleIds(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('the native/ rooms rule', () => {
  it('fails an import from the engine up to the host', async () => {
    const messages = await ruleIds('native/engine/text/probe.ts', "import { StudioHost } from '../../host/studio-host';\nexport const probe = StudioHost;\n");
    expect(messages).toEqual([
      'rooms/native-rooms: native/engine may import only shared, contract, engine, energy, metering; "../../host/studio-host" reaches native/host.',
    ]);
  });

  it('fails the policy writing through the host, and a dynamic import from the host up to the CLI', async () => {
    expect(await ruleIds('native/policy/probe.ts', "export { writeFileAtomic } from '../host/settings-store';\n")).toHaveLength(1);
    expect(await ruleIds('native/host/probe.ts', "export const load = () => import('../cli/main');\n")).toHaveLength(1);
  });

  it('lets each room import the rooms to its left', async () => {
    expect(await ruleIds('native/host/probe.ts', "import { writeFileAtomic } from '../shared/atomic-file';\nimport { FamilyPlanner } from '../policy/family-planner';\nexport const probe = [writeFileAtomic, FamilyPlanner];\n")).toEqual([]);
    expect(await ruleIds('native/engine/probe.ts', "import { createEnergyMeter } from '../energy';\nexport const probe = createEnergyMeter;\n")).toEqual([]);
  });
});
