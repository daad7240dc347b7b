import type { ExecutionProvider } from '../../contract';
import { supportedBackends, type OrtExecutionProvider, type OrtSessionOptions } from './runtime';

interface ProviderSpec {
  /** The backend's name in onnxruntime-node's build. */
  backend: string;
  label: string;
  platforms: readonly NodeJS.Platform[] | 'all';
  /** How the provider is asked for, with its options. */
  option: OrtExecutionProvider;
  /** Session options this provider needs beyond the defaults. */
  sessionOptions?: Partial<OrtSessionOptions>;
  /** The provider cannot run two inferences on one session at once. */
  serialRuns?: boolean;
}

// CoreML: compile to an ML Program (more operators than NeuralNetwork) and take subgraphs of control flow too.
const COREML_CREATE_MLPROGRAM = 0x010;
const COREML_ENABLE_ON_SUBGRAPH = 0x002;

const PROVIDERS: Record<ExecutionProvider, ProviderSpec> = {
  cpu: { backend: 'cpu', label: 'CPU', platforms: 'all', option: 'cpu' },
  cuda: { backend: 'cuda', label: 'CUDA', platforms: ['linux', 'win32'], option: { name: 'cuda', deviceId: 0 } },
  // DirectML runs without memory patterns, sequentially, one inference per session at a time.
  dml: {
    backend: 'dml',
    label: 'DirectML',
    platforms: ['win32'],
    option: { name: 'dml', deviceId: 0 },
    sessionOptions: { enableMemPattern: false, executionMode: 'sequential' },
    serialRuns: true,
  },
  coreml: { backend: 'coreml', label: 'CoreML', platforms: ['darwin'], option: { name: 'coreml', coreMlFlags: COREML_CREATE_MLPROGRAM | COREML_ENABLE_ON_SUBGRAPH } },
  webgpu: { backend: 'webgpu', label: 'WebGPU', platforms: 'all', option: { name: 'webgpu' } },
};

export function needsSerialRuns(ep: ExecutionProvider): boolean {
  return PROVIDERS[ep].serialRuns ?? false;
}

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

export function providerSessionOptions(ep: ExecutionProvider): { executionProviders: OrtExecutionProvider[] } & Partial<OrtSessionOptions> {
  const spec = PROVIDERS[ep];
  return { ...spec.sessionOptions, executionProviders: [spec.option] };
}
