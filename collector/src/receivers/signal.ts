import type { DecodeLimits } from '../decode/decode-limits.ts';
import type { DecodedRows } from '../decode/decoded-rows.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import type { RequestScan } from '../decode/request-scan.ts';
import type { RowBatch, SignalRows } from '../sink/sink.ts';
import type { Authenticate } from './authenticate.ts';

export type Signal = RowBatch['signal'];
export type RowOf<S extends Signal> = SignalRows[S];

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
  /**
   * How its requests authenticate, checked before the body is read (on gRPC,
   * on the call's headers). Every OTLP signal takes an API key with the
   * `ingest` scope (authenticateIngest); browser events will take a site ID
   * and an allowed origin instead.
   */
  authenticate: Authenticate;
  /**
   * The counting pass before decoding (decode/request-scan.ts over the
   * signal's wire schema): what decoding will build, and the memory it will
   * take, found without building it, so the export can reserve that memory
   * first. Throws MalformedRequestError when the body cannot be decoded or
   * holds more than limits.maxRequestElements.
   */
  scan(body: Buffer, encoding: OtlpEncoding, limits: DecodeLimits): RequestScan;
  /**
   * Decodes a body scan() accepted, with the per-item limits applied. Throws
   * MalformedRequestError when the body cannot be decoded at all.
   */
  decode(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits): DecodedRows<RowOf<S>>;
  /** The Export…ServiceResponse, with partial_success set only when something was rejected or there is a message. */
  encodeResponse(rejected: number, message: string, encoding: OtlpEncoding): Buffer;
}
