import { z } from 'zod';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export const ExecutionProviderSchema = z.enum(EXECUTION_PROVIDERS);
export type ExecutionProvider = z.infer<typeof ExecutionProviderSchema>;
