/** How a decoder names its cache tensors, as templates where `%d` is the layer (ONNX Runtime GenAI's notation). */
export interface KvNameTemplates {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

/** The names of Hugging Face / Optimum exports (and of most GenAI folders). */
export const OPTIMUM_KV_NAMES: KvNameTemplates = {
  pastKey: 'past_key_values.%d.key',
  pastValue: 'past_key_values.%d.value',
  presentKey: 'present.%d.key',
  presentValue: 'present.%d.value',
};

export function kvName(template: string, layer: number): string {
  return template.replace('%d', String(layer));
}

/** The layer a tensor name stands for under `template`, or null when it is not one of its names. */
export function kvLayer(template: string, name: string): number | null {
  const [before, after] = template.split('%d') as [string, string | undefined];
  if (after === undefined || !name.startsWith(before) || !name.endsWith(after)) return null;
  const layer = name.slice(before.length, name.length - after.length);
  return /^\d+$/.test(layer) ? Number(layer) : null;
}
