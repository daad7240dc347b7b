// Whether an execution provider really starts on this machine: a one-node session on it, asked once and
// remembered (in memory, and in a file the host keeps) so the studio offers only what works here.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { writeFileAtomic } from '../../shared/atomic-file';
import { EXECUTION_PROVIDERS, type ExecutionProvider, type ProviderInfo } from '../../contract';
import { DataType, encodeModel, node, tensorValueInfo } from './onnx-model';
import { providerLabel, providerSessionOptions, unavailableReason } from './providers';
import { onnxRuntimeEntry, onnxRuntimeVersion } from './runtime';

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

/** Opens the probe model on a provider and prints why it failed, if it did; run by `node -e` in a child process. */
const PROBE_SCRIPT = `
const ort = require(process.argv[1]);
ort.InferenceSession.create(Buffer.from(process.argv[2], 'base64'), JSON.parse(process.argv[3]))
  .then((session) => session.release())
  .then(() => process.exit(0), (error) => { process.stdout.write(String(error && error.message)); process.exit(1); });
`;

const PROBE_TIMEOUT_MS = 30_000;

/**
 * A one-node session on `ep`, in a child process: a GPU driver that hangs or crashes takes only the child
 * with it, and what the backend prints on its own (Dawn's Vulkan warnings) stays out of the studio's output.
 */
async function probe(ep: ExecutionProvider): Promise<string | null> {
  const staticReason = unavailableReason(ep);
  if (staticReason !== null || ep === 'cpu') return staticReason;
  const options = JSON.stringify({ ...providerSessionOptions(ep), logSeverityLevel: 4 });
  const args = ['-e', PROBE_SCRIPT, onnxRuntimeEntry(), Buffer.from(PROBE_MODEL).toString('base64'), options];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => {
      if (!error) resolve(null);
      else if (error.killed) resolve(`${providerLabel(ep)} did not start within ${PROBE_TIMEOUT_MS / 1000} s on this machine.`);
      else resolve(startFailureReason(ep, stdout || error.message));
    });
  });
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
    writeFileAtomic(this.file, JSON.stringify({ key: probeKey(), reasons } satisfies ProbeFile));
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
