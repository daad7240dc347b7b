// Whether an execution provider really starts on this machine: a one-node session on it, asked once and
// remembered (in memory, and in a file the host keeps) so the studio offers only what works here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXECUTION_PROVIDERS, type ExecutionProvider, type ProviderInfo } from '../../contract';
import { DataType, encodeModel, node, tensorValueInfo } from './onnx-model';
import { providerLabel, providerSessionOptions, unavailableReason } from './providers';
import { createSession, onnxRuntimeVersion } from './runtime';

const PROBE_MODEL = encodeModel({
  ir_version: 8,
  opset_import: [{ domain: '', version: 17 }],
  graph: { name: 'provider-probe', node: [node('Identity', ['x'], ['y'])], initializer: [], input: [tensorValueInfo('x', DataType.FLOAT, [1])], output: [tensorValueInfo('y', DataType.FLOAT, [1])] },
});

/** A backend's failure to start, in words: onnxruntime's own message names source files and C++ lambdas. */
export function startFailureReason(ep: ExecutionProvider, message: string): string {
  const label = providerLabel(ep);
  if (/adapter/i.test(message)) return `${label} found no GPU adapter on this machine (no graphics driver it can use).`;
  if (/libcu|cudnn|cublas|cuda driver|CUDA_PATH|no CUDA-capable/i.test(message)) return `${label} needs an NVIDIA GPU with its driver and CUDA libraries, which this machine does not have.`;
  if (/DirectML|D3D12|DXGI/i.test(message)) return `${label} found no DirectX 12 GPU it can use.`;
  return `${label} could not start on this machine.`;
}

async function probe(ep: ExecutionProvider): Promise<string | null> {
  const staticReason = unavailableReason(ep);
  if (staticReason !== null || ep === 'cpu') return staticReason;
  try {
    const session = await createSession(PROBE_MODEL, { ...providerSessionOptions(ep), logSeverityLevel: 4 });
    await session.release();
    return null;
  } catch (error) {
    return startFailureReason(ep, String((error as Error).message));
  }
}

/** What every probe on this machine found, valid while onnxruntime, the platform and the machine are the same. */
interface ProbeFile {
  key: string;
  reasons: Partial<Record<ExecutionProvider, string | null>>;
}

const probeKey = () => `${onnxRuntimeVersion()}|${process.platform}|${process.arch}|${os.hostname()}`;

/** Probe results kept in `file` (the data folder's providers.json) and in memory. */
export class ProviderProbes {
  private readonly reasons = new Map<ExecutionProvider, Promise<string | null>>();

  constructor(private readonly file: string | null = null) {
    for (const [ep, reason] of Object.entries(this.readFile())) this.reasons.set(ep as ExecutionProvider, Promise.resolve(reason ?? null));
  }

  /** Why `ep` cannot run here, or null when it can. */
  reason(ep: ExecutionProvider): Promise<string | null> {
    let known = this.reasons.get(ep);
    if (!known) {
      known = probe(ep);
      this.reasons.set(ep, known);
      void known.then(() => this.writeFile());
    }
    return known;
  }

  private readFile(): ProbeFile['reasons'] {
    if (!this.file || !fs.existsSync(this.file)) return {};
    try {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as ProbeFile;
      return stored.key === probeKey() && typeof stored.reasons === 'object' ? stored.reasons : {};
    } catch {
      return {}; // A damaged cache only means probing again.
    }
  }

  private async writeFile(): Promise<void> {
    if (!this.file) return;
    const reasons: ProbeFile['reasons'] = {};
    for (const [ep, reason] of this.reasons) reasons[ep] = await reason;
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(temporary, JSON.stringify({ key: probeKey(), reasons } satisfies ProbeFile));
    fs.renameSync(temporary, this.file);
  }
}

let shared = new ProviderProbes();

/** Keeps this process's probe results in `file` from now on (the host passes its data folder's providers.json). */
export function keepProviderProbesIn(file: string): void {
  shared = new ProviderProbes(file);
}

/** Why `ep` cannot run on this machine (a platform or build limit, or what its probe found), or null when it can. */
export function providerProbeReason(ep: ExecutionProvider): Promise<string | null> {
  return shared.reason(ep);
}

/** Every provider, offered only when its probe started a session here; the others with their reason in words. */
export async function listProviders(): Promise<ProviderInfo[]> {
  return Promise.all(
    EXECUTION_PROVIDERS.map(async (id) => {
      const reason = await providerProbeReason(id);
      return { id, available: reason === null, reason };
    }),
  );
}
