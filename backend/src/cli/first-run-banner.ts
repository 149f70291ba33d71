import type { DefaultSite } from '../store/default-site.ts';

export interface BannerPorts {
  otlpHttpPort: number | null;
  otlpGrpcPort: number | null;
  /** Null when this process serves no API (`collect`). */
  apiPort: number | null;
}

/**
 * The default site's keys, shown once by whichever process made them (`serve`
 * or `collect`), with how to send and how to read. A role without a port
 * says which role has it.
 */
export function firstRunBanner(site: DefaultSite, host: string, { otlpHttpPort, otlpGrpcPort, apiPort }: BannerPorts): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const send =
    otlpHttpPort === null
      ? `Point any OpenTelemetry SDK or exporter at a \`justanalytics collect\` (OTLP/HTTP 4318, OTLP/gRPC 4317) with the ingest key:

  export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20${site.ingestKey}"`
      : `Point any OpenTelemetry SDK or exporter at this server with the ingest key:

  export OTEL_EXPORTER_OTLP_ENDPOINT=http://${shown}:${otlpHttpPort}
  export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20${site.ingestKey}"
  # gRPC instead: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://${shown}:${otlpGrpcPort ?? 4317}`;
  const read =
    apiPort === null
      ? `Then query it with the read key through \`justanalytics serve --no-ingest\` (API 8080):

  curl -H "Authorization: Bearer ${site.readKey}" http://<serve host>:8080/api/v1/services`
      : `Then query it with the read key:

  curl -H "Authorization: Bearer ${site.readKey}" http://${shown}:${apiPort}/api/v1/services`;
  return `
JustAnalytics created site ${site.siteId} ("${site.name}") with two API keys, shown only this once:

  ingest key  ${site.ingestKey}
              for OpenTelemetry SDKs and exporters: sends data, cannot read any
  read key    ${site.readKey}
              for the query API: keep it out of exporter configs and browsers

${send}

${read}

More keys: justanalytics keys create --site ${site.siteId} (ingest), with --scopes read for reading
`;
}
