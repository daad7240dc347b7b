import { describe, expect, it } from 'vitest';
import { listProviders, needsSerialRuns, providerSessionOptions, unavailableReason } from './providers';

describe('execution providers', () => {
  it('lists every provider with a reason for those that cannot run here', () => {
    const providers = listProviders();
    expect(providers.map((p) => p.id)).toEqual(['cpu', 'cuda', 'dml', 'coreml', 'webgpu']);
    expect(providers[0]).toEqual({ id: 'cpu', available: true, reason: null });
    for (const provider of providers) expect(provider.available).toBe(provider.reason === null);
  });

  it('explains platform limits in words', () => {
    expect(unavailableReason('dml', 'linux')).toBe('DirectML runs only on win32; this machine is linux.');
    expect(unavailableReason('coreml', 'win32')).toBe('CoreML runs only on darwin; this machine is win32.');
    expect(unavailableReason('cuda', 'darwin')).toMatch(/CUDA runs only on linux or win32/);
  });

  it('asks each provider with its own options', () => {
    expect(providerSessionOptions('cpu').executionProviders).toEqual(['cpu']);
    expect(providerSessionOptions('cuda').executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(providerSessionOptions('dml')).toMatchObject({ enableMemPattern: false, executionMode: 'sequential', executionProviders: [{ name: 'dml', deviceId: 0 }] });
    expect(providerSessionOptions('coreml').executionProviders).toEqual([{ name: 'coreml', coreMlFlags: 0x012 }]);
    expect(needsSerialRuns('dml')).toBe(true);
    expect(needsSerialRuns('cpu')).toBe(false);
  });
});
