import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { temporaryDir } from '../../testing/fixtures';
import { listProviders, ProviderProbes, startFailureReason } from './provider-probe';
import { needsSerialRuns, providerSessionOptions, unavailableReason } from './providers';

describe('execution providers', () => {
  it('lists every provider with a reason for those that cannot run here', async () => {
    const providers = await listProviders();
    expect(providers.map((p) => p.id)).toEqual(['cpu', 'cuda', 'dml', 'coreml', 'webgpu']);
    expect(providers[0]).toEqual({ id: 'cpu', available: true, reason: null });
    for (const provider of providers) {
      expect(provider.available).toBe(provider.reason === null);
      // Reasons are sentences, never onnxruntime's source paths.
      if (provider.reason) expect(provider.reason).not.toMatch(/\.cc:|onnxruntime::|\//);
    }
  });

  it('offers a GPU provider only when a session starts on it: WebGPU without an adapter is unavailable, with the reason', async () => {
    const gpuless = !fs.existsSync('/dev/dri') && process.platform === 'linux';
    const [webgpu] = (await listProviders()).filter((p) => p.id === 'webgpu');
    if (gpuless) expect(webgpu).toEqual({ id: 'webgpu', available: false, reason: 'WebGPU found no GPU adapter on this machine (no graphics driver it can use).' });
    else expect(webgpu!.available).toBe(webgpu!.reason === null);
  });

  it('keeps what the probes found in a file and reads it back instead of probing again', async () => {
    const file = path.join(temporaryDir(), 'providers.json');
    const found = await new ProviderProbes(file).reason('webgpu');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(stored.reasons.webgpu).toBe(found);
    stored.reasons.webgpu = 'remembered from the file';
    fs.writeFileSync(file, JSON.stringify(stored));
    expect(await new ProviderProbes(file).reason('webgpu')).toBe('remembered from the file');
    fs.writeFileSync(file, JSON.stringify({ ...stored, key: 'another onnxruntime' }));
    expect(await new ProviderProbes(file).reason('webgpu')).toBe(found);
  });

  it('says a backend failure in words', () => {
    expect(startFailureReason('webgpu', '/onnxruntime_src/webgpu_context.cc:136 lambda Failed to get a WebGPU adapter: No supported adapter')).toBe(
      'WebGPU found no GPU adapter on this machine (no graphics driver it can use).',
    );
    expect(startFailureReason('cuda', 'libcudnn.so.9: cannot open shared object file')).toMatch(/^CUDA needs an NVIDIA GPU/);
    expect(startFailureReason('dml', 'something else entirely')).toBe('DirectML could not start on this machine.');
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
