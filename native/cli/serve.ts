import { defaultDataDir, defaultRendererDir, hostEntryPath } from '../host/paths';
import { openAiRoutes } from '../host/openai-api';
import { forkHostLauncher } from '../host/supervisor/fork-launcher';
import { SupervisedHost } from '../host/supervisor/supervised-host';
import { startWebServer } from '../host/web-server';
import { webModeToken } from '../host/web-token';
import { createLogger } from '../shared/log';
import { integerOption, parseOptions } from './args';


/**
 * The web mode: the studio UI and API on 127.0.0.1 until interrupted. The engine runs in a supervised
 * child process, so its crash or out-of-memory fails the running jobs with a clear error and restarts it.
 */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { port: { type: 'string' }, model: { type: 'string', multiple: true } });
  const port = integerOption('port', values.port, 0, 65_535) ?? 5199;
  const host = new SupervisedHost({
    launch: forkHostLauncher({ modulePath: hostEntryPath(), args: (values.model ?? []).flatMap((model) => ['--model', model]) }),
    log: createLogger('engine'),
    restartHint: 'Restart `pareto serve` to try again.',
  });
  host.supervisor.start();
  const token = webModeToken(defaultDataDir());
  const server = await startWebServer({ host, port, token, staticDir: defaultRendererDir(), extraRoutes: [openAiRoutes(host)] });
  process.stdout.write(`Pareto Studio web mode: ${server.url}\n`);
  process.stdout.write(`OpenAI-compatible API: http://127.0.0.1:${server.port}/v1 (API key: ${server.token})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  host.supervisor.stop();
  return 0;
}
