// End to end through the whole server, for logs: what SDKs cannot produce comes
// back from GET /api/v1/logs exactly — int64 extremes in bodies and attributes,
// bytes bodies, nested maps and arrays, records without a time (ordered by
// their observed time, or by when they arrived), a 1 MB body, 10,000
// attributes — and strings PostgreSQL cannot hold (NUL, lone surrogates,
// invalid UTF-8) come back sanitised; records with IDs of the wrong length
// are rejected through partial_success while the others are stored.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { startTestServer } from './helpers/test-server.ts';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const nowNanos = BigInt(Date.now()) * 1_000_000n + 987_654n;

interface LogRecordJson {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: unknown[];
  droppedAttributesCount: number;
  flags: number;
  traceId?: string;
  spanId?: string;
  eventName: string;
}

t.test('awkward log records round-trip through OTLP/JSON, storage and the logs API', async (t) => {
  const server = await startTestServer(t);
  const traceId = hex(16);
  const spanId = hex(8);
  const extremes = {
    kvlistValue: {
      values: [
        { key: 'min', value: { intValue: '-9223372036854775808' } },
        { key: 'max', value: { intValue: '9223372036854775807' } },
        { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 'NaN' }, { kvlistValue: { values: [{ key: 'deep', value: { boolValue: true } }] } }] } } },
        { key: 'bytes', value: { bytesValue: 'AAEC/w==' } },
      ],
    },
  };
  const structured = {
    timeUnixNano: nowNanos.toString(),
    observedTimeUnixNano: (nowNanos + 5n).toString(),
    severityNumber: 17,
    severityText: 'ERROR',
    body: extremes,
    attributes: [
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'nul', value: { stringValue: 'a\u0000b' } },
      { key: 'lone surrogate', value: { stringValue: 'x\ud800y' } },
    ],
    droppedAttributesCount: 4,
    flags: 1,
    traceId,
    spanId,
    eventName: 'checkout.failed',
  };
  const bytesBody = { observedTimeUnixNano: (nowNanos - 1_000n).toString(), severityNumber: 9, body: { bytesValue: 'AP8A/w==' }, attributes: [] };
  const noTimes = { severityText: 'info', body: { stringValue: 'arrived without a time' } };
  const megabyte = { timeUnixNano: (nowNanos - 2_000n).toString(), body: { stringValue: `big ${'x'.repeat(1024 * 1024)}` } };
  const manyAttributes = Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: { intValue: String(i) } }));
  const wide = { timeUnixNano: (nowNanos - 3_000n).toString(), body: { stringValue: 'wide' }, attributes: manyAttributes };
  const badTraceId = { timeUnixNano: nowNanos.toString(), body: { stringValue: 'bad id' }, traceId: 'abcd' };
  const invalidUtf8Marker = 'INVALID_UTF8_HERE';
  const invalid = { timeUnixNano: (nowNanos - 4_000n).toString(), body: { stringValue: `before ${invalidUtf8Marker} after` } };

  const request = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'awkward-logs' } }], droppedAttributesCount: 2 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
        scopeLogs: [
          {
            scope: { name: 'log-scope', version: '3', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: 'https://example.com/log-scope',
            logRecords: [structured, bytesBody, noTimes, megabyte, wide, badTraceId, invalid],
          },
        ],
      },
    ],
  };
  // A byte that is not UTF-8 in the middle of a string.
  const [head, tail] = JSON.stringify(request).split(invalidUtf8Marker) as [string, string];
  const body = Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]);
  const response = await fetch(`${server.otlpHttpUrl}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.ingestKey}` },
    body,
  });
  t.equal(response.status, 200);
  const answer = (await response.json()) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } };
  t.equal(String(answer.partialSuccess?.rejectedLogRecords), '1', 'the record with a 2-byte trace ID is rejected');
  t.match(answer.partialSuccess?.errorMessage, /trace_id/);

  const { status, body: page } = await server.api('/api/v1/logs?limit=20');
  t.equal(status, 200);
  const data = page as { resourceLogs: Array<{ resource: unknown; schemaUrl: string; scopeLogs: Array<{ scope: unknown; schemaUrl: string; logRecords: LogRecordJson[] }> }> };
  t.equal(data.resourceLogs.length, 1);
  const [resourceLogs] = data.resourceLogs;
  t.same(resourceLogs!.resource, request.resourceLogs[0]!.resource);
  t.equal(resourceLogs!.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
  const [scopeLogs] = resourceLogs!.scopeLogs;
  t.same(scopeLogs!.scope, request.resourceLogs[0]!.scopeLogs[0]!.scope);
  t.equal(scopeLogs!.schemaUrl, 'https://example.com/log-scope');
  const records = scopeLogs!.logRecords;
  t.equal(records.length, 6, 'every storable record');

  const got = (text: string): LogRecordJson | undefined =>
    records.find((record) => JSON.stringify(record.body).includes(text));
  t.same(got('-9223372036854775808'), {
    ...structured,
    attributes: [
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'nul', value: { stringValue: 'a\uFFFDb' } },
      { key: 'lone surrogate', value: { stringValue: 'x\uFFFDy' } },
    ],
  }, 'int64 extremes, bytes and nesting in the body, every field as sent');
  t.same(got('AP8A/w==')?.body, bytesBody.body, 'a bytes body');
  t.equal(got('AP8A/w==')?.timeUnixNano, '0', 'no time: 0, as sent');
  t.equal(got('AP8A/w==')?.observedTimeUnixNano, bytesBody.observedTimeUnixNano);
  const timeless = got('arrived without a time');
  t.equal(timeless?.timeUnixNano, '0');
  t.equal(timeless?.observedTimeUnixNano, '0');
  t.same(got('big x')?.body, megabyte.body, 'a 1 MB body whole');
  t.same(records.find((record) => JSON.stringify(record.body) === '{"stringValue":"wide"}')?.attributes, manyAttributes, '10,000 attributes, in order');
  t.same(got('before')?.body, { stringValue: 'before \uFFFD\uFFFD after' }, 'invalid UTF-8 becomes U+FFFD');

  // Newest first: the record without any time is ordered by when it arrived, after all the others.
  t.equal(JSON.stringify(records[0]!.body), JSON.stringify(noTimes.body), 'a record without times is placed at its arrival');

  // The record's trace finds it.
  const { body: traceLogs } = await server.api(`/api/v1/traces/${traceId}/logs`);
  const traced = (traceLogs as typeof data).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
  t.equal(traced.length, 1);
  t.equal(traced[0]?.spanId, spanId);
});
