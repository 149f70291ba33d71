import { startServer } from '../serve.ts';
import type { DefaultSite } from '../store/default-site.ts';
import type { CommandContext } from './command-context.ts';

export async function runServeCommand(context: CommandContext): Promise<number> {
  const { config, logger } = context;
  const server = await startServer(config, logger);
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
