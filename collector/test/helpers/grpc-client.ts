// OTLP/gRPC TraceService clients for tests (not a test file itself):
// protobuf Buffers in and out, so the receiver's own decoding is what runs.
// traceExportClient is a real grpc-js client; rawExport speaks gRPC over
// node:http2 itself, to send what grpc-js would not (a pre-compressed bomb,
// half a message, a call that never ends).
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { INGEST_KEY } from './fixtures.ts';

// Spelled out here rather than taken from the receiver, so that a wrong path there fails the tests.
export const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
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

/** A gRPC length-prefixed message: the compressed flag, the length (big-endian), the bytes. */
export function grpcFrame(message: Buffer, { compressed = false }: { compressed?: boolean } = {}): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** How a raw call ended. */
export interface RawOutcome {
  /** grpc-status, or null when the stream ended without one. */
  code: number | null;
  /** grpc-message, percent-decoded. */
  message: string;
  /** grpc-status-details-bin, decoded from base64. */
  statusDetails: Buffer | undefined;
  /** The RST_STREAM code the stream closed with (0 when it closed normally). */
  rstCode: number;
}

export interface RawExportOptions {
  /** Sent as `Authorization: Bearer <key>`; null sends no authorization. Default: the ingest key. */
  key?: string | null;
  /** grpc-encoding of compressed messages. Default 'identity'. */
  encoding?: 'identity' | 'gzip' | 'deflate';
  /** Written at once after the headers. Default: nothing. */
  body?: Buffer;
  /** Half-closes the call after `body`; false leaves it open, as a stalled client would. Default true. */
  end?: boolean;
}

export interface RawExport {
  stream: ClientHttp2Stream;
  /** Settles once the stream has closed. */
  outcome: Promise<RawOutcome>;
}

/** An HTTP/2 session to 127.0.0.1:port, for rawExport, with the client's `settings`. The caller closes it. */
export function rawSession(port: number, settings: http2.Settings = {}): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings });
  // A reset or refused stream also surfaces here; the outcome says what happened.
  session.on('error', () => undefined);
  return session;
}

/** Starts TraceService/Export on `session` with hand-made frames. */
export function rawExport(session: ClientHttp2Session, options: RawExportOptions = {}): RawExport {
  const { key = INGEST_KEY, encoding = 'identity', body, end = true } = options;
  const headers: http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': EXPORT_PATH,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-encoding': encoding,
  };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => undefined);
  const outcome = new Promise<RawOutcome>((resolve) => {
    let status: http2.IncomingHttpHeaders | null = null;
    const keep = (received: http2.IncomingHttpHeaders): void => {
      if (received['grpc-status'] !== undefined) status = received;
    };
    stream.on('response', keep);
    stream.on('trailers', keep);
    // The body of a response is not what these tests look at; reading it lets the stream end.
    stream.resume();
    stream.on('close', () => {
      const found = status as http2.IncomingHttpHeaders | null;
      const details = found?.['grpc-status-details-bin'];
      resolve({
        code: found === null ? null : Number(found['grpc-status']),
        message: decodeURIComponent(String(found?.['grpc-message'] ?? '')),
        statusDetails: typeof details === 'string' ? Buffer.from(details, 'base64') : undefined,
        rstCode: stream.rstCode ?? 0,
      });
    });
  });
  if (body !== undefined) stream.write(body);
  if (end) stream.end();
  return { stream, outcome };
}
