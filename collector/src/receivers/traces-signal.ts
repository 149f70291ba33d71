import { ExportTraceServiceResponse } from '@justanalytics/proto';
import { decodeScannedTraceRequest, scanTraceRequest } from '../decode/decode-trace-request.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import type { SignalDescriptor } from './signal.ts';

const EMPTY_JSON_RESPONSE = Buffer.from('{}');

/** Traces: POST /v1/traces and TraceService/Export. */
export const tracesSignal: SignalDescriptor<'traces'> = {
  signal: 'traces',
  httpPath: '/v1/traces',
  grpcService: 'opentelemetry.proto.collector.trace.v1.TraceService',
  scan: scanTraceRequest,
  decode: decodeScannedTraceRequest,
  encodeResponse(rejected: number, message: string, encoding: OtlpEncoding): Buffer {
    // The spec wants partial_success left unset on full success.
    const partial = rejected > 0 || message !== '';
    if (encoding === 'json') {
      if (!partial) return EMPTY_JSON_RESPONSE;
      // proto3 JSON writes int64 as a decimal string.
      return Buffer.from(JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } }));
    }
    if (!partial) return Buffer.alloc(0);
    const bytes = ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: rejected, errorMessage: message } }).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
};
