import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { ApiError } from '../contract';
import { parseOptions, UsageError } from './args';
import { MODELS_USAGE } from './usage';


export async function models(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { json: { type: 'boolean' } });
  const [action, folder] = positionals;
  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  if (action === 'list') {
    const list = await host.invoke('listModels');
    if (values.json) process.stdout.write(JSON.stringify(list) + '\n');
    else if (list.length === 0) process.stdout.write('No models installed. Import one with: pareto models import DIR\n');
    else for (const model of list) process.stdout.write(`${model.id}\t${model.kind}\t${model.variants.join(',')}\t${model.source}\t${model.path}\n`);
    return 0;
  }
  if (action === 'import') {
    if (!folder) throw new UsageError('pareto models import needs a model folder.');
    const model = await host.invoke('importModel', { path: folder });
    process.stdout.write(values.json ? JSON.stringify(model) + '\n' : `Imported ${model.id} (${model.path})\n`);
    return 0;
  }
  if (action === 'remove') {
    if (!folder) throw new UsageError('pareto models remove needs a model id or folder.');
    const { removed } = await host.invoke('removeModel', { model: folder });
    process.stdout.write(values.json ? JSON.stringify({ removed }) + '\n' : `Removed ${folder} from the studio (its folder ${removed} is still on disk)\n`);
    return 0;
  }
  if (action === 'verify') {
    if (!folder) throw new UsageError('pareto models verify needs a model id or folder.');
    const report = await host.invoke('verifyModel', { model: folder });
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
    else if (!report.files) process.stdout.write(`${report.model}: no pareto.json, so no checksums to verify\n`);
    else for (const file of report.files) process.stdout.write(`${file.ok ? 'ok ' : 'BAD'} ${file.file}${file.problem ? `: ${file.problem}` : ''}\n`);
    if (!report.ok) throw new ApiError('invalid_model', `${report.model} failed verification: ${report.files!.filter((f) => !f.ok).map((f) => f.file).join(', ')}`);
    return 0;
  }
  throw new UsageError(`Unknown models action "${action ?? ''}". Usage: ${MODELS_USAGE}`);
}
