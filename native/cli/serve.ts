import { defaultDataDir, defaultModelsDir, defaultRendererDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { openAiRoutes } from '../host/openai-api';
import { startWebServer } from '../host/web-server';
import { integerOption, parseOptions } from './args';

export const SERVE_USAGE = 'pareto serve [--port N] [--model DIR ...]';

/** The web mode: the studio UI and API on 127.0.0.1 until interrupted. */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { port: { type: 'string' }, model: { type: 'string', multiple: true } });
  const host: StudioHost = new StudioHost({
    dataDir: defaultDataDir(),
    bundledModelsDir: defaultModelsDir(),
    modelPaths: values.model ?? [],
    // Settings › Local API server: a second, API-only listener with its own token, as in the desktop app.
    apiServer: (apiPort) => startWebServer({ host, port: apiPort, staticDir: null, extraRoutes: [openAiRoutes(host)] }),
  });
  const server = await startWebServer({
    host,
    port: integerOption('port', values.port, 0, 65_535) ?? 5199,
    staticDir: defaultRendererDir(),
    extraRoutes: [openAiRoutes(host)],
  });
  process.stdout.write(`Pareto Studio web mode: ${server.url}\n`);
  process.stdout.write(`OpenAI-compatible API: http://127.0.0.1:${server.port}/v1 (API key: ${server.token})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await host.dispose();
  return 0;
}
