// Every failure of an export is classified once, here, into an ErrorKind, and
// each kind is mapped here alone to what both transports answer: the HTTP
// status, the gRPC code, whether and when to retry, and the google.rpc.Status
// body. The mapping follows the OTLP specification ("Failures", "Throttling")
// and the OpenTelemetry Collector's otlpreceiver.
import { status as GrpcCode } from '@grpc/grpc-js';
import { RpcStatus } from '@justanalytics/proto';
import { MalformedRequestError } from '../decode/malformed-request-error.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../sink/sink.ts';

export type ErrorKind =
  | 'malformed'
  | 'unauthenticated'
  | 'permission_denied'
  | 'too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'overloaded'
  | 'unavailable'
  | 'internal';

/** A classified failure: its kind, a message safe to send to the client, and when to retry. */
export class ReceiverError extends Error {
  readonly kind: ErrorKind;
  /** Seconds the client should wait before retrying; null for permanent errors. */
  readonly retryAfterSeconds: number | null;

  constructor(kind: ErrorKind, message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ReceiverError';
    this.kind = kind;
    this.retryAfterSeconds = RETRYABLE.has(kind) ? Math.max(1, Math.ceil(options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)) : null;
  }
}

/** Retry hint when the failing part gave none. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['overloaded', 'unavailable']);

interface KindMapping {
  httpStatus: number;
  grpcCode: GrpcCode;
}

const MAPPINGS: Readonly<Record<ErrorKind, KindMapping>> = {
  // Permanent: the client must drop the data.
  malformed: { httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT },
  unauthenticated: { httpStatus: 401, grpcCode: GrpcCode.UNAUTHENTICATED },
  permission_denied: { httpStatus: 403, grpcCode: GrpcCode.PERMISSION_DENIED },
  // RESOURCE_EXHAUSTED without RetryInfo is not retryable, which is right:
  // the same request will be as large next time. grpc-js uses it too.
  too_large: { httpStatus: 413, grpcCode: GrpcCode.RESOURCE_EXHAUSTED },
  unsupported_media_type: { httpStatus: 415, grpcCode: GrpcCode.UNIMPLEMENTED },
  method_not_allowed: { httpStatus: 405, grpcCode: GrpcCode.UNIMPLEMENTED },
  internal: { httpStatus: 500, grpcCode: GrpcCode.INTERNAL },
  // Retryable: 429 and 503 are on the spec's retry list; on gRPC,
  // RESOURCE_EXHAUSTED is retryable only with the RetryInfo sent alongside.
  overloaded: { httpStatus: 429, grpcCode: GrpcCode.RESOURCE_EXHAUSTED },
  unavailable: { httpStatus: 503, grpcCode: GrpcCode.UNAVAILABLE },
};

/**
 * Classifies any error met while serving an export. Errors from elsewhere
 * (a failing sink, a bug) become `internal` with a generic message: their own
 * message may carry details that are not the client's business.
 */
export function classifyError(error: unknown): ReceiverError {
  if (error instanceof ReceiverError) return error;
  if (error instanceof MalformedRequestError) return new ReceiverError('malformed', error.message, { cause: error });
  if (error instanceof SinkOverloadedError) {
    return new ReceiverError('overloaded', 'the server is overloaded, retry later', { retryAfterSeconds: error.retryAfterSeconds, cause: error });
  }
  if (error instanceof SinkUnavailableError) {
    return new ReceiverError('unavailable', 'storage is unavailable, retry later', { retryAfterSeconds: error.retryAfterSeconds, cause: error });
  }
  const httpStatus = httpStatusCarriedBy(error);
  if (httpStatus !== null && httpStatus >= 400 && httpStatus < 500) {
    // Fastify's own request errors (bad Content-Length, unknown media type, …).
    return new ReceiverError(KIND_BY_HTTP_STATUS.get(httpStatus) ?? 'malformed', (error as Error).message, { cause: error });
  }
  if (httpStatus === 503) return new ReceiverError('unavailable', 'the server is unavailable, retry later', { cause: error });
  return new ReceiverError('internal', 'internal error', { cause: error });
}

const KIND_BY_HTTP_STATUS: ReadonlyMap<number, ErrorKind> = new Map(
  (Object.entries(MAPPINGS) as [ErrorKind, KindMapping][]).map(([kind, mapping]) => [mapping.httpStatus, kind]),
);

function httpStatusCarriedBy(error: unknown): number | null {
  if (!(error instanceof Error)) return null;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' && Number.isInteger(statusCode) ? statusCode : null;
}

export function httpStatusOf(error: ReceiverError): number {
  return MAPPINGS[error.kind].httpStatus;
}

export function grpcCodeOf(error: ReceiverError): GrpcCode {
  return MAPPINGS[error.kind].grpcCode;
}

/** The Retry-After header value (delay in seconds), or null for permanent errors. */
export function retryAfterHeaderOf(error: ReceiverError): string | null {
  return error.retryAfterSeconds === null ? null : String(error.retryAfterSeconds);
}

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The google.rpc.Status describing the error: the gRPC code, the message, and
 * for retryable errors a google.rpc.RetryInfo detail with the delay, in the
 * request's encoding (OTLP/HTTP error bodies; gRPC grpc-status-details-bin).
 */
export function encodeRpcStatus(error: ReceiverError, encoding: OtlpEncoding): Buffer {
  const code = grpcCodeOf(error);
  if (encoding === 'json') {
    const details =
      error.retryAfterSeconds === null ? undefined : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${error.retryAfterSeconds}s` }];
    return Buffer.from(JSON.stringify({ code, message: error.message, details }));
  }
  const details = error.retryAfterSeconds === null ? [] : [{ typeUrl: RETRY_INFO_TYPE_URL, value: encodeRetryInfo(error.retryAfterSeconds) }];
  const bytes = RpcStatus.encode(RpcStatus.create({ code, message: error.message, details })).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; } with
// Duration { int64 seconds = 1; }: two small messages, written by hand since
// no OTLP file imports them.
function encodeRetryInfo(seconds: number): Buffer {
  const duration = seconds === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.of(0x08), varint(seconds)]);
  return Buffer.concat([Buffer.of(0x0a), varint(duration.length), duration]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
