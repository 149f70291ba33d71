import { ExportMetricsServiceResponse } from '@justanalytics/proto';
import { decodeScannedMetricsRequest, scanMetricsRequest } from './decode-metrics-request.ts';
import { partialSuccessEncoder } from '../../decode/partial-success.ts';
import { authenticateIngest } from '../../receivers/authenticate.ts';
import type { SignalDescriptor } from '../../receivers/signal.ts';

/** Metrics: POST /v1/metrics and MetricsService/Export, one row per data point. */
export const metricsSignal: SignalDescriptor<'metrics'> = {
  signal: 'metrics',
  httpPath: '/v1/metrics',
  grpcService: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  authenticate: authenticateIngest,
  scan: scanMetricsRequest,
  decode: decodeScannedMetricsRequest,
  encodeResponse: partialSuccessEncoder(ExportMetricsServiceResponse, 'rejectedDataPoints'),
};
