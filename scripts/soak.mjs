#!/usr/bin/env node
// The soak run of issue #16 (a measurement, not a test): mixed jobs from loopback clients at once against one
// host and web server, with RSS growth after warm-up and the data check (every finished output in history,
// settings intact). `npm run soak [-- --jobs 300 --clients 8 --json]`; a reduced form runs in the unit tests.
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { runSoak } = await import('../native/testing/soak.ts');
const { copyModel, sdFixture, temporaryDir, tinyStoriesOnnx } = await import('../native/testing/fixtures.ts');

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '300' }, clients: { type: 'string', default: '8' }, json: { type: 'boolean', default: false } } });
const jobs = Number(values.jobs);
const figures = await runSoak({ jobs, clients: Number(values.clients), warmupJobs: Math.round(jobs / 10), dataDir: temporaryDir('pareto-soak-'), textModel: copyModel(tinyStoriesOnnx()), imageModel: sdFixture() });
if (values.json) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  console.log(`jobs ${figures.jobs}: ${figures.finished} finished, ${figures.cancelled} cancelled, ${figures.refused} refused (429), ${figures.failed.length} failed, ${figures.hangs} hangs`);
  console.log(`RSS after warm-up ${figures.rssAfterWarmupMb.toFixed(0)} MB, at the end ${figures.rssEndMb.toFixed(0)} MB: ${figures.rssGrowthPercent >= 0 ? '+' : ''}${figures.rssGrowthPercent.toFixed(1)} %`);
  console.log(`data lost: ${figures.lost.length} outputs missing from history; settings ${figures.settingsIntact ? 'intact' : 'NOT intact'}; ${figures.wallS.toFixed(0)} s`);
  for (const why of figures.failed) console.log(`failed: ${why}`);
}
process.exitCode = figures.failed.length || figures.hangs || figures.lost.length || !figures.settingsIntact ? 1 : 0;
