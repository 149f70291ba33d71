import type { DecodedRows } from '../decode/decoded-rows.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import type { RowBatch } from '../sink/sink.ts';

export type Signal = RowBatch['signal'];
export type RowOf<S extends Signal> = Extract<RowBatch, { signal: S }>['rows'][number];

/**
 * Everything that differs between OTLP signals, so that one export path,
 * one HTTP route and one gRPC method serve them all.
 */
export interface SignalDescriptor<S extends Signal = Signal> {
  signal: S;
  /** OTLP/HTTP path, e.g. /v1/traces. */
  httpPath: string;
  /** Fully qualified gRPC service, e.g. opentelemetry.proto.collector.trace.v1.TraceService. */
  grpcService: string;
  /** Throws MalformedRequestError when the body cannot be decoded at all. */
  decode(body: Buffer, encoding: OtlpEncoding, siteId: string): DecodedRows<RowOf<S>>;
  /** The Export…ServiceResponse, with partial_success set only when something was rejected or there is a message. */
  encodeResponse(rejected: number, message: string, encoding: OtlpEncoding): Buffer;
}
