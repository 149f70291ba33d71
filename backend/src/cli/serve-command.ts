import { createServer } from 'node:net';
import type { Config } from '../config.ts';
import { startServer, type RunningServer } from '../serve.ts';
import type { DefaultSite } from '../store/default-site.ts';
import { UsageError, type CommandContext } from './command-context.ts';

export async function runServeCommand(context: CommandContext): Promise<number> {
  const { config, logger } = context;
  const listeners = listenersOf(config);
  // Before the database starts: a taken port is the commonest first-run
  // failure, and it should cost a line, not a PostgreSQL start and stop.
  for (const listener of listeners) await checkFree(config.host, listener);
  let server: RunningServer;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    // Taken between the check and the listen.
    const taken = listeners.find((listener) => isAddressInUse(error, listener.port));
    throw taken === undefined ? error : new Error(listenFailure(config.host, taken, 'EADDRINUSE'), { cause: error });
  }
  if (server.createdDefaultSite) {
    context.out(firstRunBanner(server.createdDefaultSite, config.host, server.otlpHttpPort, server.otlpGrpcPort, server.apiPort));
  }

  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      signalled = true;
      logger.info({ signal }, 'shutting down: no new requests, committing what is in flight');
      server.shutdown().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });
  return 0;
}

interface Listener {
  port: number;
  what: string;
  flag: string;
  env: string;
}

function listenersOf(config: Config): Listener[] {
  const listeners: Listener[] = [
    { port: config.otlpHttpPort, what: 'OTLP/HTTP', flag: '--otlp-http-port', env: 'JUSTANALYTICS_OTLP_HTTP_PORT' },
    { port: config.otlpGrpcPort, what: 'OTLP/gRPC', flag: '--otlp-grpc-port', env: 'JUSTANALYTICS_OTLP_GRPC_PORT' },
    { port: config.apiPort, what: 'API', flag: '--api-port', env: 'JUSTANALYTICS_API_PORT' },
  ];
  for (const [index, listener] of listeners.entries()) {
    const twin = listeners.slice(index + 1).find((other) => other.port === listener.port && listener.port !== 0);
    if (twin !== undefined) throw new UsageError(`the ${listener.what} and ${twin.what} ports are both ${listener.port}: give ${twin.flag} another`);
  }
  return listeners.filter((listener) => listener.port !== 0);
}

/** Listens on the port for a moment; fails with one line saying what to do when it cannot. */
function checkFree(host: string, listener: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenFailure(host, listener, error.code), { cause: error })));
    probe.listen({ host, port: listener.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenFailure(host: string, { port, what, flag, env }: Listener, code: string | undefined): string {
  const choose = `choose another with ${flag} or ${env}`;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use (${what} on ${host}): stop what uses it, or ${choose}`;
    case 'EACCES':
      return `cannot listen on port ${port} (${what} on ${host}): ports below 1024 need privileges; ${choose}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: it is not an address of this machine; choose another with --host or JUSTANALYTICS_HOST`;
    default:
      return `cannot listen on port ${port} (${what} on ${host}, ${code ?? 'unknown error'}): ${choose}`;
  }
}

function isAddressInUse(error: unknown, port: number): boolean {
  if (!(error instanceof Error)) return false;
  const { code, port: errorPort } = error as NodeJS.ErrnoException & { port?: number };
  if (code === 'EADDRINUSE') return errorPort === port;
  // grpc-js reports a failed bind in its message only.
  return /EADDRINUSE|address already in use/i.test(error.message) && error.message.includes(`:${port}`);
}

function firstRunBanner(site: DefaultSite, host: string, httpPort: number, grpcPort: number, apiPort: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `
JustAnalytics created site ${site.siteId} ("${site.name}") with two API keys, shown only this once:

  ingest key  ${site.ingestKey}
              for OpenTelemetry SDKs and exporters: sends data, cannot read any
  read key    ${site.readKey}
              for the query API: keep it out of exporter configs and browsers

Point any OpenTelemetry SDK or exporter at this server with the ingest key:

  export OTEL_EXPORTER_OTLP_ENDPOINT=http://${shown}:${httpPort}
  export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20${site.ingestKey}"
  # gRPC instead: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://${shown}:${grpcPort}

Then query it with the read key:

  curl -H "Authorization: Bearer ${site.readKey}" http://${shown}:${apiPort}/api/v1/services

More keys: justanalytics keys create --site ${site.siteId} (ingest), with --scopes read for reading
`;
}
