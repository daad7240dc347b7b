import OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import { openAiRoutes } from '../host/openai-api';
import { StudioHost, type StudioHostOptions } from '../host/studio-host';
import { startWebServer, type RunningWebServer } from '../host/web-server';

/** A running studio host with the web server and its OpenAI-compatible routes, as a test file sees it. */
export interface ApiTestServer {
  host: StudioHost;
  server: RunningWebServer;
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  /** The `openai` client with the server's token as its API key. */
  client: OpenAI;
}

/** Starts a host and server before the file's tests and stops both after; the fields are set once started. */
export function apiServerForTests(options: () => StudioHostOptions, staticDir: () => string | null = () => null): ApiTestServer {
  const api = {} as ApiTestServer;
  beforeAll(async () => {
    api.host = new StudioHost(options());
    api.server = await startWebServer({ host: api.host, port: 0, staticDir: staticDir(), extraRoutes: [openAiRoutes(api.host)] });
    api.baseURL = `http://127.0.0.1:${api.server.port}/v1`;
    api.client = new OpenAI({ apiKey: api.server.token, baseURL: api.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.server.close();
    await api.host.dispose();
  });
  return api;
}
