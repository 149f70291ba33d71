import { ExportTraceServiceResponse } from '@justanalytics/proto';
import { decodeScannedTraceRequest, scanTraceRequest } from './decode-trace-request.ts';
import { partialSuccessEncoder } from '../../decode/partial-success.ts';
import { authenticateIngest } from '../../receivers/authenticate.ts';
import type { SignalDescriptor } from '../../receivers/signal.ts';

/** Traces: POST /v1/traces and TraceService/Export. */
export const tracesSignal: SignalDescriptor<'traces'> = {
  signal: 'traces',
  httpPath: '/v1/traces',
  grpcService: 'opentelemetry.proto.collector.trace.v1.TraceService',
  authenticate: authenticateIngest,
  scan: scanTraceRequest,
  decode: decodeScannedTraceRequest,
  encodeResponse: partialSuccessEncoder(ExportTraceServiceResponse, 'rejectedSpans'),
};
