// Options for the real OpenTelemetry JS exporters (not a test file itself),
// the same for every signal's exporter: an OTLP/HTTP one sends the key as an
// Authorization header, an OTLP/gRPC one as grpc-js Metadata (those exporters
// take no headers).
import { Metadata } from '@grpc/grpc-js';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';

export function otlpHttpExporterOptions(url: string, key: string, { gzip = false }: { gzip?: boolean } = {}) {
  return { url, headers: { Authorization: `Bearer ${key}` }, ...(gzip ? { compression: CompressionAlgorithm.GZIP } : {}) };
}

/** gzip-compressed, as the OpenTelemetry Collector's own gRPC exporter sends by default. */
export function otlpGrpcExporterOptions(url: string, key: string) {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return { url, metadata, compression: CompressionAlgorithm.GZIP };
}
