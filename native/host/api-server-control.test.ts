import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import { openAiRoutes } from './openai-api';
import { StudioHost } from './studio-host';
import { startWebServer } from './web-server';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const hosts: StudioHost[] = [];
function hostWithApiServer(dataDir = temporaryDir()): StudioHost {
  const host: StudioHost = new StudioHost({
    dataDir,
    bundledModelsDir: null,
    apiServer: (port) => startWebServer({ host, port, staticDir: null, extraRoutes: [openAiRoutes(host)] }),
  });
  hosts.push(host);
  return host;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.dispose()));
});

describe('the local API server in Settings', () => {
  it('is off by default, then serves /v1 on 127.0.0.1 with its token once turned on, and stops when turned off', async () => {
    const host = hostWithApiServer();
    expect(host.settings.get().apiServer.enabled).toBe(false);
    expect(await host.invoke('getApiServerStatus')).toEqual({ available: true, running: false, baseUrl: null, token: null, problem: null });

    const port = await freePort();
    await host.invoke('updateSettings', { apiServer: { enabled: true, port } });
    const status = await host.invoke('getApiServerStatus');
    expect(status).toMatchObject({ running: true, baseUrl: `http://127.0.0.1:${port}/v1`, problem: null });
    const models = await fetch(`${status.baseUrl}/models`, { headers: { Authorization: `Bearer ${status.token}` } });
    expect(models.status).toBe(200);
    expect((await fetch(`${status.baseUrl}/models`)).status).toBe(401);

    await host.invoke('updateSettings', { apiServer: { enabled: false, port } });
    expect(await host.invoke('getApiServerStatus')).toMatchObject({ running: false, token: null });
    await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();
  });

  it('starts again at launch when it was left on, and says so when its port is taken', async () => {
    const port = await freePort();
    const dataDir = temporaryDir();
    await hostWithApiServer(dataDir).invoke('updateSettings', { apiServer: { enabled: true, port } });
    const second = hostWithApiServer(dataDir);
    expect(await second.invoke('getApiServerStatus')).toMatchObject({ running: false, problem: `Port ${port} is in use by another program; choose another port.` });
  });

  it('is unavailable where the host has no way to run one, and refuses ports below 1024', async () => {
    const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null });
    hosts.push(host);
    expect(await host.invoke('getApiServerStatus')).toMatchObject({ available: false, running: false });
    await expect(host.invoke('updateSettings', { apiServer: { enabled: true, port: 80 } })).rejects.toThrow(/apiServer\.port: use a port from 1024 up/);
  });
});
