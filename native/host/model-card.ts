import fs from 'node:fs';
import path from 'node:path';
import type { ModelCard } from '../contract';
import type { ImageModelFolder } from '../engine/image/model-folder';
import type { ManifestOperatingPoint, ParetoManifest } from '../engine/package/pareto-manifest';
import type { TextModelFolder } from '../engine/text/model-folder';

interface CardPointSource {
  precision: string;
  depth: number | null;
  steps: number | null;
  path: string;
  quality: ManifestOperatingPoint['quality'] | null;
}

/** `license:` and `base_model:` from the YAML front matter of a Hugging Face README.md, when there is one. */
function readmeFrontMatter(dir: string): { licence: string | null; baseModel: string | null } {
  const file = path.join(dir, 'README.md');
  if (!fs.existsSync(file)) return { licence: null, baseModel: null };
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(fs.readFileSync(file, 'utf8').slice(0, 20_000))?.[1] ?? '';
  const value = (key: string) => new RegExp(`^${key}:[ \\t]*(.+)$`, 'm').exec(front)?.[1]?.trim().replace(/^['"]|['"]$/g, '') || null;
  const listed = (key: string) => new RegExp(`^${key}:\\s*\\n\\s*-\\s*(.+)$`, 'm').exec(front)?.[1]?.trim() ?? null;
  return { licence: value('license'), baseModel: value('base_model') ?? listed('base_model') };
}

function card(dir: string, layout: ModelCard['layout'], manifest: ParetoManifest | null, points: CardPointSource[], declaredParameters: number | null = null): ModelCard {
  const readme = manifest ? null : readmeFrontMatter(dir);
  const provenance = manifest?.provenance;
  return {
    layout,
    parameters: manifest?.parameters ?? declaredParameters,
    origin: provenance ? (provenance.teacher ? `distilled from ${provenance.teacher}` : 'trained by the studio') : readme?.baseModel ? `from ${readme.baseModel}` : null,
    data: provenance?.data ?? [],
    licence: provenance?.licence ?? readme?.licence ?? null,
    points: points.map((point) => ({
      precision: point.precision,
      depth: point.depth,
      steps: point.steps,
      file: path.relative(dir, point.path),
      bitsPerByte: point.quality?.bitsPerByte ?? null,
      frechetDistance: point.quality?.frechetDistance ?? null,
    })),
    hasChecksums: Object.keys(manifest?.files ?? {}).length > 0,
  };
}

export function textModelCard(folder: TextModelFolder): ModelCard {
  return card(folder.dir, folder.layout, folder.manifest, folder.points.map((point) => ({ ...point, steps: null })), folder.parameters);
}

export function imageModelCard(folder: ImageModelFolder): ModelCard {
  return card(folder.dir, folder.manifest ? 'pareto' : 'diffusers', folder.manifest, folder.unetPoints.map((point) => ({ ...point, depth: null })));
}
