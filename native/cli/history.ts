import { HISTORY_KINDS, HISTORY_PAGE_LIMIT, type HistoryItem } from '../contract';
import { defaultDataDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, parseOptions, UsageError } from './args';
import { HISTORY_USAGE } from './usage';


/** One line per entry: id, when, kind, model, its headline cost, and the prompt. */
function summaryLine(entry: HistoryItem): string {
  const cost = entry.kind === 'text' ? `${entry.metrics.generatedTokens} tok, ${entry.metrics.tokensPerSecond?.toFixed(0) ?? '—'} tok/s` : `${entry.width}x${entry.height}, ${entry.metrics.sPerImage.toFixed(2)} s`;
  const prompt = entry.prompt.replace(/\s+/g, ' ');
  return `${entry.id}\t${entry.createdAt}\t${entry.kind}\t${entry.model}\t${cost}\t${prompt.length > 60 ? `${prompt.slice(0, 59)}…` : prompt}`;
}

function describeEntry(entry: HistoryItem): string {
  const head = [`${entry.kind} ${entry.id}`, `made ${entry.createdAt} with ${entry.model}`, `prompt: ${entry.prompt}`];
  if (entry.kind === 'text') {
    const { precision, depth, operatingPoint } = entry.config;
    const point = operatingPoint ? `λ ${operatingPoint.lambda} chose ${operatingPoint.model} ${operatingPoint.precision} depth ${operatingPoint.depth}` : `${precision}${depth ? ` depth ${depth}` : ''}`;
    const { ttftMs, msPerToken, generatedTokens, peakRssMb } = entry.metrics;
    return [...head, `ran: ${point}; ${generatedTokens} tokens, ${entry.finishReason}`, `cost: TTFT ${ttftMs?.toFixed(1) ?? '—'} ms, ${msPerToken?.toFixed(2) ?? '—'} ms/token, peak ${peakRssMb.toFixed(0)} MB`, '', entry.text].join('\n');
  }
  return [...head, entry.parametersText, `cost: ${entry.metrics.sPerImage.toFixed(2)} s/image, peak ${entry.metrics.peakRssMb.toFixed(0)} MB`, `file: ${entry.path}`].join('\n');
}

export async function history(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    json: { type: 'boolean' },
    search: { type: 'string' },
    kind: { type: 'string' },
    model: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
  });
  const [action, id] = positionals;
  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: null });
  const print = (json: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(json) + '\n' : text + '\n');
  if (action === 'list') {
    const page = await host.invoke('listHistory', {
      search: values.search,
      kind: choiceOption('kind', values.kind, HISTORY_KINDS),
      model: values.model,
      limit: integerOption('limit', values.limit, 1, HISTORY_PAGE_LIMIT) ?? 20,
      offset: integerOption('offset', values.offset, 0, Number.MAX_SAFE_INTEGER) ?? 0,
    });
    const lines = page.entries.map(summaryLine);
    if (page.notice) process.stderr.write(`pareto: ${page.notice}\n`);
    // The JSON carries no image bytes: each entry's path names its file.
    const json = { ...page, entries: page.entries.map((entry) => ({ ...entry, png: undefined, thumbnail: undefined })) };
    print(json, page.total === 0 ? 'No outputs in history yet.' : [...lines, `${page.entries.length} of ${page.total} shown (${page.file})`].join('\n'));
    return 0;
  }
  if (action === 'show' || action === 'delete') {
    if (!id) throw new UsageError(`pareto history ${action} needs an entry id (see pareto history list).`);
    const entry = await host.invoke('getHistoryEntry', { id });
    if (action === 'show') {
      print({ ...entry, png: undefined, thumbnail: undefined }, describeEntry(entry));
      return 0;
    }
    await host.invoke('deleteHistoryEntry', { id });
    print({ deleted: true, id }, `Deleted ${entry.kind} ${id}${entry.kind === 'image' ? ` and ${entry.path}` : ''}`);
    return 0;
  }
  throw new UsageError(`Unknown history action "${action ?? ''}". Usage: ${HISTORY_USAGE}`);
}
