import { ExportLogsServiceResponse } from '@justanalytics/proto';
import { decodeScannedLogsRequest, scanLogsRequest } from './decode-logs-request.ts';
import { partialSuccessEncoder } from '../../decode/partial-success.ts';
import { authenticateIngest } from '../../receivers/authenticate.ts';
import type { SignalDescriptor } from '../../receivers/signal.ts';

/** Logs: POST /v1/logs and LogsService/Export. */
export const logsSignal: SignalDescriptor<'logs'> = {
  signal: 'logs',
  httpPath: '/v1/logs',
  grpcService: 'opentelemetry.proto.collector.logs.v1.LogsService',
  authenticate: authenticateIngest,
  scan: scanLogsRequest,
  // Decoding starts once the body has arrived whole: now is when it was received.
  decode: (body, encoding, siteId, limits) => decodeScannedLogsRequest(body, encoding, siteId, limits),
  encodeResponse: partialSuccessEncoder(ExportLogsServiceResponse, 'rejectedLogRecords'),
};
