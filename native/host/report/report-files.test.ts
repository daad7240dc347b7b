import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema, reportFigures, type Report } from '../../contract';
import { temporaryDir } from '../../testing/fixtures';
import { figureSvg, findFont, svgToPng } from './figure-images';
import { checkWritable, table1Markdown, writeReport } from './report-files';
import { buildFamilyReport, type MeasuredPoint } from './report-model';

const runs = (costs: number[]) => costs.map((cost) => ({ cost, peakRssMb: 250, joulesPerOutput: cost / 100, energySource: 'estimated:cpu-time×tdp', energyRange: { low: cost / 200, high: cost / 50 } }));

function textPoint(id: string, role: 'teacher' | 'student', bytes: number, bitsPerByte: number, costs: number[]): MeasuredPoint {
  const [model, precision, depth] = id.split(':');
  return { id, model: model!, role, precision: precision!, depth: Number(depth), steps: null, parameters: bytes / 4, bytes, quality: { value: bitsPerByte, coherence: 0.2 }, runs: runs(costs) };
}

function imagePoint(id: string, role: 'teacher' | 'student', frechet: number | null, costs: number[]): MeasuredPoint {
  const [model, precision, steps] = id.split(':');
  return { id, model: model!, role, precision: precision!, depth: null, steps: Number(steps), parameters: 2_000_000, bytes: 7_000_000, quality: frechet === null ? null : { value: frechet, coherence: 0.5 }, runs: runs(costs) };
}

function fixtureReport(): Report {
  const device = { memoryMb: 16_000, providerAvailable: true };
  const text = buildFamilyReport(
    { kind: 'text', family: 'tales', repeats: 2, tokens: 16, problems: [], points: [textPoint('tales-teacher:fp32:8', 'teacher', 10_000_000, 1.14, [4, 4.2]), textPoint('tales-student:int8:3', 'student', 1_000_000, 1.15, [1.3, 1.4])] },
    device,
  );
  const image = buildFamilyReport({ kind: 'image', family: 'faces', repeats: 2, tokens: null, problems: [], points: [imagePoint('faces-teacher:fp32:50', 'teacher', null, [1.1, 1.2])] }, device);
  return ReportSchema.parse({ schemaVersion: 1, createdAt: '2026-01-01T00:00:00.000Z', device: 'Test CPU · 2 cores', ep: 'cpu', quick: true, memoryMb: 16_000, families: [text, image], problems: [] });
}

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]!.replace(/&amp;/g, '&'));

describe('the report files', () => {
  const report = fixtureReport();

  it('draws seven figures, each a well-formed SVG with its title and both families’ axes', async () => {
    const figures = reportFigures(report);
    expect(figures.map((figure) => figure.id.slice(0, 4))).toEqual(['fig1', 'fig2', 'fig3', 'fig4', 'fig5', 'fig6', 'fig7']);
    for (const figure of figures) {
      const svg = await figureSvg(figure);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect(texts(svg)).toContain(figure.title);
      expect(texts(svg)).toEqual(expect.arrayContaining(['tales (text)', 'faces (image)']));
    }
    const latency = texts(await figureSvg(figures[3]!));
    expect(latency).toEqual(expect.arrayContaining(['median ms/token', 'median s/image', 'weights the point runs (MB)']));
    const pareto = texts(await figureSvg(figures[6]!));
    expect(pareto).toEqual(expect.arrayContaining(['quality Q/Qmax', 'median cost (ms/token)', 'Pareto front', 'quality unknown: the packages declare none']));
  });

  it('parses as XML and turns into a PNG where a font is present', async () => {
    const font = findFont();
    if (!font) return expect(font).toBeNull(); // no font here: writeReport says so instead (tested below)
    const png = await svgToPng(await figureSvg(reportFigures(report)[0]!), font);
    expect([...png.subarray(1, 4)].map((byte) => String.fromCharCode(byte)).join('')).toBe('PNG');
    await expect(svgToPng('<svg xmlns="http://www.w3.org/2000/svg"><text>unclosed</svg>', font)).rejects.toThrow();
  });

  it('writes Table 1 with the paper’s column, every unit and the formulas, and says what is unknown', () => {
    const markdown = table1Markdown(report);
    expect(markdown).toContain('| measure | teacher: teacher fp32 d8 | student: student int8 d3 | paper (Sivalingam, IJSRMT 4(10), 2025) |');
    expect(markdown).toMatch(/latency \(ms\/token, median \(min–max\)\) \| 4\.100 \(4\.000–4\.200\)/);
    expect(markdown).toMatch(/energy per sample \(J\/token\) \| 0\.0410 \(0\.0400–0\.0420\) estimated/);
    expect(markdown).toContain('not stated');
    expect(markdown).toContain('unknown (not declared)');
    expect(markdown).toContain('U(C) = λ·Q(C)/Qmax + (1−λ)·E(C)');
    expect(markdown).toContain('ATEI-style index I(C)');
    expect(markdown).toMatch(/faces: its packages declare no quality/);
  });

  it('writes the whole folder, with a report.html that fetches nothing', async () => {
    const folder = path.join(temporaryDir(), 'out');
    const written = await writeReport(folder, report);
    const svgs = written.files.filter((file) => file.endsWith('.svg'));
    expect(svgs).toHaveLength(7);
    expect(written.files).toEqual(expect.arrayContaining(['table1.md', 'table1.json', 'report.html']));
    const html = fs.readFileSync(path.join(folder, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(7);
    expect(html).not.toMatch(/(src|href)="https?:/);
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'table1.json'), 'utf8'));
    expect(ReportSchema.parse(json).families[0]!.points[0]!.cost.median).toBeCloseTo(4.1);
    expect(json.paper.notStated).toBe('not stated');
  });

  it('refuses a folder that cannot be written, naming it', () => {
    const file = path.join(temporaryDir(), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => checkWritable(path.join(file, 'report'))).toThrow(/The report cannot be written to .*a-file\/report: (ENOTDIR|EEXIST).*--out/);
  });
});
