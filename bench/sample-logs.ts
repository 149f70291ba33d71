// The logs workload of the ingest benchmark: a realistic protobuf
// ExportLogsServiceRequest of application logs under one resource and scope,
// an access-log-like message body, 6 attributes on every record, most records
// inside a span, a warning or an error now and then.
import { randomBytes } from 'node:crypto';
import { ExportLogsServiceRequest } from '@justanalytics/proto';

export function sampleLogsRequest(recordCount: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const logRecords = Array.from({ length: recordCount }, (_, i) => {
    const severity = i % 40 === 0 ? 17 : i % 10 === 0 ? 13 : 9;
    const inSpan = i % 4 !== 0;
    return {
      timeUnixNano: (now - BigInt(recordCount - i) * 1000n).toString(),
      observedTimeUnixNano: now.toString(),
      severityNumber: severity,
      severityText: severity === 17 ? 'ERROR' : severity === 13 ? 'WARN' : 'INFO',
      body: { stringValue: `GET /api/items/${i} completed with status ${severity === 17 ? 500 : 200} in ${(i % 97) + 3} ms for user u-${i % 211}` },
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
        { key: 'http.response.status_code', value: { intValue: severity === 17 ? 500 : 200 } },
        { key: 'enduser.id', value: { stringValue: `u-${i % 211}` } },
        { key: 'thread.name', value: { stringValue: `worker-${i % 8}` } },
        { key: 'duration_ms', value: { doubleValue: ((i % 97) + 3) / 1.5 } },
      ],
      traceId: inSpan ? randomBytes(16) : undefined,
      spanId: inSpan ? randomBytes(8) : undefined,
      flags: inSpan ? 1 : 0,
    };
  });
  const message = ExportLogsServiceRequest.fromObject({
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'shop-api' } },
            { key: 'service.version', value: { stringValue: '1.4.2' } },
            { key: 'deployment.environment.name', value: { stringValue: 'production' } },
            { key: 'host.name', value: { stringValue: 'shop-api-7d9f' } },
          ],
        },
        scopeLogs: [{ scope: { name: 'shop-api.logger', version: '2.0.0' }, logRecords }],
      },
    ],
  });
  return Buffer.from(ExportLogsServiceRequest.encode(message).finish());
}
