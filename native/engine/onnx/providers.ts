import { EXECUTION_PROVIDERS, type ExecutionProvider, type ProviderInfo } from '../../contract';
import { supportedBackends, type OrtExecutionProvider, type OrtSessionOptions } from './runtime';

interface ProviderSpec {
  /** The backend's name in onnxruntime-node's build. */
  backend: string;
  label: string;
  platforms: readonly NodeJS.Platform[] | 'all';
  /** Session options this provider needs beyond the defaults. */
  sessionOptions?: Partial<OrtSessionOptions>;
}

const PROVIDERS: Record<ExecutionProvider, ProviderSpec> = {
  cpu: { backend: 'cpu', label: 'CPU', platforms: 'all' },
  cuda: { backend: 'cuda', label: 'CUDA', platforms: ['linux', 'win32'] },
  // DirectML cannot run with memory patterns or parallel execution.
  dml: { backend: 'dml', label: 'DirectML', platforms: ['win32'], sessionOptions: { enableMemPattern: false, executionMode: 'sequential' } },
  coreml: { backend: 'coreml', label: 'CoreML', platforms: ['darwin'] },
  webgpu: { backend: 'webgpu', label: 'WebGPU', platforms: 'all' },
};

export function providerLabel(ep: ExecutionProvider): string {
  return PROVIDERS[ep].label;
}

/** Why `ep` cannot run here, or null when onnxruntime-node can try it. */
export function unavailableReason(ep: ExecutionProvider, platform: NodeJS.Platform = process.platform): string | null {
  const spec = PROVIDERS[ep];
  if (spec.platforms !== 'all' && !spec.platforms.includes(platform)) {
    return `${spec.label} runs only on ${spec.platforms.join(' or ')}; this machine is ${platform}.`;
  }
  const backend = supportedBackends().find((b) => b.name === spec.backend);
  if (!backend) return `This onnxruntime-node build has no ${spec.label} backend.`;
  if (!backend.bundled && ep === 'cuda') {
    return 'The CUDA add-on of onnxruntime-node is not installed (it is fetched at install time, which was skipped).';
  }
  return null;
}

export function listProviders(): ProviderInfo[] {
  return EXECUTION_PROVIDERS.map((id) => {
    const reason = unavailableReason(id);
    return { id, available: reason === null, reason };
  });
}

export function providerSessionOptions(ep: ExecutionProvider): { executionProviders: OrtExecutionProvider[] } & Partial<OrtSessionOptions> {
  const spec = PROVIDERS[ep];
  return { ...spec.sessionOptions, executionProviders: [spec.backend as OrtExecutionProvider] };
}
