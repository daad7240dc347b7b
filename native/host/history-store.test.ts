import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GenerationConfigSchema, type HistoryEntry } from '../contract';
import { decodePng, encodePng } from '../engine/png/png';
import { temporaryDir } from '../testing/fixtures';
import { HistoryStore } from './history-store';

const config = GenerationConfigSchema.parse({
  doSample: false, temperature: 1, topK: 0, topP: 1, seed: null, maxNewTokens: 20, ep: 'cpu', precision: 'fp32', depth: null, window: null, minP: null, repetitionPenalty: null, stop: [],
});
const textMetrics = { ttftMs: 5, msPerToken: 2, tokensPerSecond: 500, totalMs: 45, promptTokens: 4, generatedTokens: 20, peakRssMb: 120, energyJ: null, energySource: null, energyJRange: null, meanWatts: null, joulesPerOutput: null, precisionShare: null };

function story(id: string, prompt: string, model = 'tiny', text = `${prompt} and then the end.`): HistoryEntry {
  return { kind: 'text', id, createdAt: new Date().toISOString(), model, prompt, request: { prompt, maxNewTokens: 20, sinks: 4, ep: 'cpu', doSample: false }, text, finishReason: 'length', config, metrics: textMetrics };
}

function picture(id: string, prompt: string): { entry: HistoryEntry; png: Uint8Array } {
  const parameters = { model: 'emoji', prompt, negativePrompt: '', steps: 4, guidance: 1, seed: 7, scheduler: 'lcm' as const, precision: 'fp32', dynamicPrecision: null, width: 2, height: 2 };
  const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12).fill(200) }, { parameters: prompt });
  const entry: HistoryEntry = {
    kind: 'image', id, createdAt: new Date().toISOString(), model: 'emoji', prompt, request: { prompt, cfgMode: 'auto', ep: 'cpu' }, width: 2, height: 2, parameters, parametersText: prompt, operatingPoint: null, ep: 'cpu', cfg: 'none',
    metrics: { msPerStep: 3, sPerImage: 0.02, textEncoderMs: 1, decodeMs: 1, steps: 4, peakRssMb: 100, energyJ: null, energySource: null, energyJRange: null, meanWatts: null, joulesPerOutput: null, precisionSteps: { fp32: 4 } },
  };
  return { entry, png };
}

const ids = (store: HistoryStore, query = {}) => store.list(query).entries.map((entry) => entry.id);

describe('HistoryStore', () => {
  it('keeps stories and images across a restart: newest first, searchable, filtered, paged', () => {
    const dir = temporaryDir();
    const store = new HistoryStore(dir, () => 100);
    store.record(story('a', 'A fox in the snow'));
    const image = picture('b', 'a smiling face');
    store.record(image.entry, image.png);
    store.record(story('c', 'A dragon by the sea', 'other'));

    const reopened = new HistoryStore(dir, () => 100);
    expect(ids(reopened)).toEqual(['c', 'b', 'a']);
    expect(ids(reopened, { search: 'FOX snow' })).toEqual(['a']);
    expect(ids(reopened, { search: 'then the end' })).toEqual(['c', 'a']);
    expect(ids(reopened, { kind: 'image' })).toEqual(['b']);
    expect(ids(reopened, { model: 'other' })).toEqual(['c']);
    const page = reopened.list({ offset: 1, limit: 1 });
    expect(page).toMatchObject({ total: 3, models: ['emoji', 'other', 'tiny'], notice: null, file: path.join(dir, 'history', 'history.json') });
    expect(page.entries.map((entry) => entry.id)).toEqual(['b']);

    const shown = reopened.get('b');
    expect(shown.path).toBe(path.join(dir, 'history', 'images', 'b.png'));
    expect(Buffer.from(shown.png!, 'base64')).toEqual(Buffer.from(image.png));
    // Lists carry thumbnails, not the PNGs; a 2 px image is its own.
    expect(page.entries[0]).toMatchObject({ png: null, thumbnail: Buffer.from(image.png).toString('base64') });
    // The index holds no image bytes: PNGs are files of their own.
    expect(fs.readFileSync(reopened.file, 'utf8')).not.toContain(Buffer.from(image.png).toString('base64'));
  });

  it('lists a large image by a box-filtered thumbnail at most 160 px long', () => {
    const store = new HistoryStore(temporaryDir(), () => 100);
    const [width, height] = [640, 320];
    // Left half black, right half white: the thumbnail keeps the halves and averages only the seam.
    const data = new Uint8Array(width * height * 3).map((_, i) => (Math.floor(i / 3) % width < width / 2 ? 0 : 255));
    const large = picture('big', 'halves');
    store.record({ ...large.entry, width, height } as HistoryEntry, encodePng({ width, height, data }));
    const thumbnail = decodePng(Buffer.from(store.list({}).entries[0]!.thumbnail!, 'base64'));
    expect([thumbnail.width, thumbnail.height]).toEqual([160, 80]);
    expect([thumbnail.data[0], thumbnail.data[(80 * 160 - 1) * 3]]).toEqual([0, 255]);
    expect(fs.readdirSync(path.dirname(store.get('big').path)).sort()).toEqual(['big.png', 'big.thumb.png']);
    store.delete('big');
    expect(fs.readdirSync(path.dirname(store.file) + '/images')).toEqual([]);
  });

  it('deletes an entry and its PNG, and names an unknown id', () => {
    const store = new HistoryStore(temporaryDir(), () => 100);
    const image = picture('img', 'a cat');
    store.record(image.entry, image.png);
    const file = store.get('img').path;
    store.delete('img');
    expect(fs.existsSync(file)).toBe(false);
    expect(ids(store)).toEqual([]);
    expect(() => store.get('img')).toThrow(/No history entry "img"/);
    expect(() => store.delete('img')).toThrow(/No history entry "img"/);
  });

  it('drops the oldest entries past the limit, files included, and follows a changed limit', () => {
    let limit = 3;
    const store = new HistoryStore(temporaryDir(), () => limit);
    const first = picture('p0', 'first');
    store.record(first.entry, first.png);
    const firstFile = store.get('p0').path;
    for (const n of [1, 2, 3, 4]) store.record(story(`s${n}`, `story ${n}`));
    expect(ids(store)).toEqual(['s4', 's3', 's2']);
    expect(fs.existsSync(firstFile)).toBe(false);
    limit = 2;
    store.trim();
    expect(ids(store)).toEqual(['s4', 's3']);
    limit = 1;
    store.record(story('s5', 'story 5'));
    expect(ids(store)).toEqual(['s5']);
  });

  it('recovers a damaged history file from the last good copy, says so, and keeps the damaged file', () => {
    const dir = temporaryDir();
    const store = new HistoryStore(dir, () => 100);
    for (const n of [1, 2, 3]) store.record(story(`s${n}`, `story ${n}`));
    fs.writeFileSync(store.file, fs.readFileSync(store.file, 'utf8').slice(0, 60));

    const recovered = new HistoryStore(dir, () => 100);
    const page = recovered.list({});
    // The last good copy is the index before the last change: every entry but the newest.
    expect(page.entries.map((entry) => entry.id)).toEqual(['s2', 's1']);
    expect(page.notice).toMatch(/history file was damaged; 2 outputs were recovered from the last good copy/);
    const damaged = /kept as (.+)\.$/.exec(page.notice!)![1]!;
    expect(fs.readFileSync(damaged, 'utf8')).toHaveLength(60);
    // The index is whole again: the next start reads it without a notice.
    expect(new HistoryStore(dir, () => 100).list({}).notice).toBeNull();
  });

  it('starts empty and says so when neither the file nor its copy reads', () => {
    const dir = temporaryDir();
    const store = new HistoryStore(dir, () => 100);
    store.record(story('s1', 'one'));
    store.record(story('s2', 'two'));
    fs.writeFileSync(store.file, '{"entries": [');
    fs.writeFileSync(path.join(dir, 'history', 'history.prev.json'), 'not json');
    const page = new HistoryStore(dir, () => 100).list({});
    expect(page.total).toBe(0);
    expect(page.notice).toMatch(/no good copy was left, so history starts empty/);
  });

  it('ignores a torn temporary file left by a crash mid-write, and skips entries that do not validate', () => {
    const dir = temporaryDir();
    const store = new HistoryStore(dir, () => 100);
    store.record(story('s1', 'one'));
    fs.writeFileSync(`${store.file}.999.1.tmp`, '{"version":1,"entries":[{"kind":"te');
    const index = JSON.parse(fs.readFileSync(store.file, 'utf8'));
    index.entries.push({ kind: 'text', id: 'broken' });
    // An id names the entry's files, so one that climbs out of the folder is not an entry.
    index.entries.push({ ...picture('x', 'x').entry, id: '../../escape' });
    fs.writeFileSync(store.file, JSON.stringify(index));
    const page = new HistoryStore(dir, () => 100).list({});
    expect(page.entries.map((entry) => entry.id)).toEqual(['s1']);
    expect(page.notice).toBeNull();
  });

  it("sees another process's changes to the same data folder", () => {
    const dir = temporaryDir();
    const server = new HistoryStore(dir, () => 100);
    const cli = new HistoryStore(dir, () => 100);
    server.record(story('s1', 'one'));
    expect(ids(cli)).toEqual(['s1']);
    cli.delete('s1');
    server.record(story('s2', 'two'));
    expect(ids(server)).toEqual(['s2']);
  });
});
