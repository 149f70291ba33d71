// A raw OTLP/gRPC TraceService client for tests (not a test file itself):
// protobuf Buffers in and out, so the receiver's own decoding is what runs.
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { INGEST_KEY } from './fixtures.ts';

// Spelled out here rather than taken from the receiver, so that a wrong path there fails the tests.
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (buffer: Buffer): Buffer => buffer;

export interface ExportResult {
  error: ServiceError | null;
  response?: Buffer;
}

export interface TraceExportClient {
  /** Calls Export with `Authorization: Bearer <key>`, or with no metadata when key is null. */
  export(body: Buffer, key?: string | null): Promise<ExportResult>;
  close(): void;
}

/** A client of 127.0.0.1:port; with gzip it compresses every message. The caller closes it. */
export function traceExportClient(port: number, { gzip = false }: { gzip?: boolean } = {}): TraceExportClient {
  const GZIP = 2;
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), gzip ? { 'grpc.default_compression_algorithm': GZIP } : {});
  return {
    export: (body, key = INGEST_KEY) =>
      new Promise((resolve) => {
        const metadata = new Metadata();
        if (key !== null) metadata.set('authorization', `Bearer ${key}`);
        client.makeUnaryRequest(EXPORT_PATH, identity, identity, body, metadata, (error, response) => resolve({ error, response }));
      }),
    close: () => client.close(),
  };
}
