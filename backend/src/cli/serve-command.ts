import type { Config } from '../config.ts';
import { startServer, type RunningServer } from '../serve.ts';
import type { CommandContext } from './command-context.ts';
import { firstRunBanner } from './first-run-banner.ts';
import { API_LISTENER, checkListeners, explainListenFailure, OTLP_GRPC_LISTENER, OTLP_HTTP_LISTENER, type Listener } from './listen-check.ts';
import { runUntilSignal } from './run-until-signal.ts';

/** `serve`: the all-in-one; `serve --no-ingest`: the API and the jobs, beside `collect` processes. */
export async function runServeCommand(context: CommandContext): Promise<number> {
  const { config, logger } = context;
  const listeners = listenersOf(config);
  await checkListeners(config.host, listeners);
  let server: RunningServer;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    throw explainListenFailure(error, config.host, listeners);
  }
  if (server.createdDefaultSite) context.out(firstRunBanner(server.createdDefaultSite, config.host, server));
  await runUntilSignal(logger, () => server.shutdown());
  return 0;
}

function listenersOf(config: Config): Listener[] {
  const api = { ...API_LISTENER, port: config.apiPort };
  if (!config.ingest) return [api];
  return [{ ...OTLP_HTTP_LISTENER, port: config.otlpHttpPort }, { ...OTLP_GRPC_LISTENER, port: config.otlpGrpcPort }, api];
}
