import type { FinishReason } from '../../native/contract';

export const FINISH_LABELS: Record<FinishReason, string> = {
  eos: 'end of story',
  stop: 'stop sequence',
  length: 'length limit',
  context: 'context full',
  cancelled: 'stopped: cancelled',
};

const EP_LABELS: Record<string, string> = { cpu: 'CPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'Core ML', webgpu: 'WebGPU' };

export function epLabel(ep: string): string {
  return EP_LABELS[ep] ?? ep;
}

/** A metric for display: "—" when unknown, fixed decimals otherwise. */
export function formatNumber(value: number | null | undefined, decimals = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatTokens(count: number): string {
  return count >= 1024 && count % 1024 === 0 ? `${count / 1024}k` : String(count);
}

/** Names of request and settings fields as the UI shows them, for validation messages. */
const FIELD_LABELS: Record<string, string> = {
  model: 'Model',
  defaultModel: 'Default model',
  threads: 'Threads',
  graphOptimizationLevel: 'Graph optimization',
  sessionCacheMb: 'Session cache',
  prompt: 'Prompt',
  maxNewTokens: 'Max new tokens',
  temperature: 'Temperature',
  topK: 'Top-k',
  topP: 'Top-p',
  seed: 'Seed',
  precision: 'Precision',
  ep: 'Execution provider',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? 'Value';
}
