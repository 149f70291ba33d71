// Covers decoding OTLP logs requests (signals/logs/) into LogRows: every
// field from protobuf and OTLP/JSON alike; bodies of every AnyValue type
// (int64 at both extremes, as strings and as JSON numbers, bytes, nested maps
// and arrays); which time a record is ordered by; IDs optional, all-zero IDs
// meaning none; NUL and invalid UTF-8 sanitised; 10,000 attributes and a 1 MB
// body kept whole; the decode limits (attributes dropped into the count,
// values too long or deep rejecting the record, in its resource or scope
// too, requests over the element limit refused whole); rejections through
// partial_success on OTLP/HTTP in both encodings, the others stored; the
// exception an error log names.
import { ExportLogsServiceResponse } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { DEFAULT_DECODE_LIMITS } from '../src/decode/decode-limits.ts';
import type { DecodeLimits } from '../src/decode/decode-limits.ts';
import type { DecodedRows } from '../src/decode/decoded-rows.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import type { AnyValueJson } from '../src/model/otlp-json.ts';
import { decodeLogRows, scanLogsRequest } from '../src/signals/logs/decode-logs-request.ts';
import type { LogRow } from '../src/signals/logs/log-row.ts';
import { logsSignal } from '../src/signals/logs/logs-signal.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { INGEST_KEY, SITE_ID } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';
import { jsonLogRecord, jsonLogsRequest, protobufLogsRequest, SPAN_ID_HEX, TRACE_ID_HEX } from './helpers/log-fixtures.ts';

const RECEIVED = 1_800_000_000_000_000_000n;
const R = '\uFFFD';

function limits(given: Partial<DecodeLimits> = {}): DecodeLimits {
  return { ...DEFAULT_DECODE_LIMITS, ...given };
}

/** The request decoded from protobuf and from OTLP/JSON. */
function decodeBoth(request: JsonObject, given: Partial<DecodeLimits> = {}): [string, DecodedRows<LogRow>][] {
  return [
    ['protobuf', decodeLogRows(protobufLogsRequest(request), 'protobuf', SITE_ID, limits(given), RECEIVED)],
    ['json', decodeLogRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID, limits(given), RECEIVED)],
  ];
}

function onlyRow(t: Test, decoded: DecodedRows<LogRow>): LogRow {
  t.equal(decoded.rows.length, 1, 'one row');
  return decoded.rows[0] as LogRow;
}

t.test('every field, from protobuf and OTLP/JSON alike', async (t) => {
  const request = jsonLogsRequest([
    jsonLogRecord({
      attributes: [
        { key: 'order.id', value: { intValue: '42' } },
        { key: 'exception.type', value: { stringValue: 'PaymentError' } },
        { key: 'exception.message', value: { stringValue: 'card declined' } },
        { key: 'exception.stacktrace', value: { stringValue: 'at pay (pay.js:1:1)' } },
      ],
    }),
  ]);
  request.resourceLogs = [
    {
      ...(request.resourceLogs as JsonObject[])[0],
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 3 },
    },
  ];
  const expected: LogRow = {
    siteId: SITE_ID,
    timeUnixNano: 1700000000123456789n,
    observedTimeUnixNano: 1700000000223456789n,
    timestampUnixNano: 1700000000123456789n,
    severityNumber: 17,
    severityText: 'ERROR',
    body: { stringValue: 'payment failed' },
    attributes: [
      { key: 'order.id', value: { intValue: '42' } },
      { key: 'exception.type', value: { stringValue: 'PaymentError' } },
      { key: 'exception.message', value: { stringValue: 'card declined' } },
      { key: 'exception.stacktrace', value: { stringValue: 'at pay (pay.js:1:1)' } },
    ],
    droppedAttributesCount: 2,
    flags: 1,
    traceId: Buffer.from(TRACE_ID_HEX, 'hex'),
    spanId: Buffer.from(SPAN_ID_HEX, 'hex'),
    eventName: 'payment.failure',
    serviceName: 'checkout',
    exception: { type: 'PaymentError', message: 'card declined', stacktrace: 'at pay (pay.js:1:1)' },
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 3 },
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: { name: 'test-scope', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: 'https://example.com/scope',
  };
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.same(decoded, { rows: [expected], rejected: 0, message: '' }, encoding);
    t.strictSame(onlyRow(t, decoded), expected, `${encoding}: exactly`);
  }
  // OTLP/JSON may spell the severity by name and int64 times as numbers.
  const spelled = Buffer.from(
    JSON.stringify(jsonLogsRequest([jsonLogRecord({ severityNumber: 'SEVERITY_NUMBER_ERROR' })])).replace('"timeUnixNano":"1700000000123456789"', '"timeUnixNano":1700000000123456789'),
  );
  const row = onlyRow(t, decodeLogRows(spelled, 'json', SITE_ID, DEFAULT_DECODE_LIMITS, RECEIVED));
  t.equal(row.severityNumber, 17);
  t.equal(row.timeUnixNano, 1700000000123456789n, 'a JSON number beyond 2^53 kept exact');
});

t.test('the smallest record: no IDs, no body, no times, no resource or scope', async (t) => {
  const request = { resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] };
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.strictSame(
      onlyRow(t, decoded),
      {
        siteId: SITE_ID,
        timeUnixNano: 0n,
        observedTimeUnixNano: 0n,
        timestampUnixNano: RECEIVED,
        severityNumber: 0,
        severityText: '',
        body: null,
        attributes: [],
        droppedAttributesCount: 0,
        flags: 0,
        traceId: null,
        spanId: null,
        eventName: '',
        serviceName: 'unknown_service',
        exception: null,
        resource: { attributes: [], droppedAttributesCount: 0 },
        resourceSchemaUrl: '',
        scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
        scopeSchemaUrl: '',
      },
      encoding,
    );
  }
});

t.test('bodies of every AnyValue type', async (t) => {
  const bodies: [string, AnyValueJson][] = [
    ['string', { stringValue: 'plain text ü 🎉' }],
    ['empty string', { stringValue: '' }],
    ['bool', { boolValue: true }],
    ['int64 min', { intValue: '-9223372036854775808' }],
    ['int64 max', { intValue: '9223372036854775807' }],
    ['int beyond 2^53', { intValue: '9007199254740993' }],
    ['double', { doubleValue: -0.125 }],
    ['NaN', { doubleValue: 'NaN' }],
    ['bytes', { bytesValue: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64') }],
    ['empty AnyValue', {}],
    ['array', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '-1' }, { arrayValue: { values: [{ boolValue: false }] } }] } }],
    [
      'nested map',
      {
        kvlistValue: {
          values: [
            { key: 'user', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: '9223372036854775807' } }, { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'x' }] } } }] } } },
            { key: 'raw', value: { bytesValue: 'AAE=' } },
            { key: 'nothing', value: {} },
          ],
        },
      },
    ],
  ];
  for (const [name, body] of bodies) {
    for (const [encoding, decoded] of decodeBoth(jsonLogsRequest([jsonLogRecord({ body })]))) {
      t.strictSame(onlyRow(t, decoded).body, body, `${name} (${encoding})`);
    }
  }
  // int64 extremes as JSON numbers: kept as their exact text.
  const numbers = Buffer.from(
    JSON.stringify(jsonLogsRequest([jsonLogRecord({ body: { arrayValue: { values: [{ intValue: 'MIN' }, { intValue: 'MAX' }] } } })]))
      .replace('"MIN"', '-9223372036854775808')
      .replace('"MAX"', '9223372036854775807'),
  );
  t.strictSame(onlyRow(t, decodeLogRows(numbers, 'json', SITE_ID)).body, { arrayValue: { values: [{ intValue: '-9223372036854775808' }, { intValue: '9223372036854775807' }] } });
});

t.test('the time a record is ordered by: its time, else observed time, else when received', async (t) => {
  const cases: [string, JsonObject, bigint][] = [
    ['both', { timeUnixNano: '5', observedTimeUnixNano: '7' }, 5n],
    ['no time', { timeUnixNano: undefined, observedTimeUnixNano: '7' }, 7n],
    ['zero time', { timeUnixNano: '0', observedTimeUnixNano: '7' }, 7n],
    ['neither', { timeUnixNano: undefined, observedTimeUnixNano: undefined }, RECEIVED],
  ];
  for (const [name, times, expected] of cases) {
    for (const [encoding, decoded] of decodeBoth(jsonLogsRequest([jsonLogRecord(times)]))) {
      const row = onlyRow(t, decoded);
      t.equal(row.timestampUnixNano, expected, `${name} (${encoding})`);
      t.equal(row.timeUnixNano, times.timeUnixNano === undefined ? 0n : BigInt(times.timeUnixNano as string), `${name} (${encoding}): time as sent`);
    }
  }
  const before = BigInt(Date.now()) * 1_000_000n;
  const row = onlyRow(t, decodeLogRows(Buffer.from(JSON.stringify(jsonLogsRequest([{}]))), 'json', SITE_ID));
  t.ok(row.timestampUnixNano >= before && row.timestampUnixNano <= BigInt(Date.now()) * 1_000_000n, 'by default, received now');
});

t.test('IDs: optional, all zeros meaning none, a wrong length rejected', async (t) => {
  const zeros = jsonLogsRequest([jsonLogRecord({ traceId: '0'.repeat(32), spanId: '0'.repeat(16) }), jsonLogRecord({ traceId: '', spanId: '' })]);
  for (const [encoding, decoded] of decodeBoth(zeros)) {
    t.same(
      decoded.rows.map((row) => [row.traceId, row.spanId]),
      [
        [null, null],
        [null, null],
      ],
      encoding,
    );
  }
  const wrong = jsonLogsRequest([
    jsonLogRecord({ traceId: 'abcd' }),
    jsonLogRecord({ spanId: '0102030405060708090a' }),
    jsonLogRecord({ timeUnixNano: '9223372036854775808' }),
    jsonLogRecord({ observedTimeUnixNano: '18446744073709551615' }),
    jsonLogRecord({ body: { stringValue: 'kept' } }),
  ]);
  for (const [encoding, decoded] of decodeBoth(wrong)) {
    t.same(decoded.rows.map((row) => row.body), [{ stringValue: 'kept' }], encoding);
    t.equal(decoded.rejected, 4);
    t.equal(
      decoded.message,
      '4 log records rejected: invalid trace_id (empty or 16 bytes required); invalid span_id (empty or 8 bytes required); invalid time_unix_nano (below 2^63 required)',
    );
  }
  // Not hex, or not a string at all: one byte, refused on its own.
  const notHex = Buffer.from(JSON.stringify(jsonLogsRequest([jsonLogRecord({ traceId: 'zz' }), jsonLogRecord({ spanId: { length: 8 } }), jsonLogRecord()])));
  const decoded = decodeLogRows(notHex, 'json', SITE_ID);
  t.equal(decoded.rows.length, 1);
  t.equal(decoded.rejected, 2);
});

t.test('NUL and invalid UTF-8 are sanitised', async (t) => {
  const request = jsonLogsRequest([
    jsonLogRecord({
      severityText: 'E\u0000',
      body: { stringValue: 'aXXb' },
      eventName: 'n\u0000',
      attributes: [{ key: 'k\u0000', value: { stringValue: '\uD800' } }],
    }),
  ]);
  const invalid = (body: Buffer) => {
    const at = body.indexOf('aXXb');
    body[at + 1] = 0xff;
    body[at + 2] = 0xfe;
    return body;
  };
  const results: [string, LogRow][] = [
    ['protobuf', onlyRow(t, decodeLogRows(invalid(protobufLogsRequest(request)), 'protobuf', SITE_ID))],
    ['json', onlyRow(t, decodeLogRows(invalid(Buffer.from(JSON.stringify(request))), 'json', SITE_ID))],
  ];
  for (const [encoding, row] of results) {
    t.equal(row.severityText, `E${R}`, encoding);
    t.same(row.body, { stringValue: `a${R}${R}b` }, encoding);
    t.equal(row.eventName, `n${R}`, encoding);
    // A lone surrogate is one U+FFFD from OTLP/JSON; protobufjs writes it as three invalid UTF-8 bytes, each one U+FFFD.
    t.same(row.attributes[0]?.key, `k${R}`, encoding);
    t.match(row.attributes[0]?.value, { stringValue: /^\uFFFD+$/ }, encoding);
  }
});

t.test('10,000 attributes and a 1 MB body are kept whole', async (t) => {
  const attributes = Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: { intValue: String(i) } }));
  const text = 'x'.repeat(1024 * 1024);
  for (const [encoding, decoded] of decodeBoth(jsonLogsRequest([jsonLogRecord({ attributes, body: { stringValue: text }, droppedAttributesCount: 0 })]))) {
    const row = onlyRow(t, decoded);
    t.equal(row.attributes.length, 10_000, encoding);
    t.same(row.attributes[9_999], { key: 'attr.9999', value: { intValue: '9999' } });
    t.equal(row.droppedAttributesCount, 0);
    t.equal((row.body as { stringValue: string }).stringValue.length, 1024 * 1024, `${encoding}: the body`);
  }
});

t.test('decode limits', async (t) => {
  const attributes = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } }));
  const array = (n: number): AnyValueJson => ({ arrayValue: { values: Array.from({ length: n }, () => ({ intValue: '1' })) } });
  const deep = (levels: number): AnyValueJson => (levels === 1 ? { stringValue: 'leaf' } : { arrayValue: { values: [deep(levels - 1)] } });

  // Attributes past maxAttributes are dropped into the counts, of the record, its resource and scope.
  const wide = jsonLogsRequest([jsonLogRecord({ attributes: attributes(5), droppedAttributesCount: 1 })], attributes(4));
  ((wide.resourceLogs as JsonObject[])[0]!.scopeLogs as JsonObject[])[0]!.scope = { name: 's', attributes: attributes(6) };
  for (const [encoding, decoded] of decodeBoth(wide, { maxAttributes: 3 })) {
    const row = onlyRow(t, decoded);
    t.same([row.attributes.length, row.droppedAttributesCount], [3, 3], `${encoding}: record`);
    t.same([row.resource.attributes.length, row.resource.droppedAttributesCount], [3, 1], `${encoding}: resource`);
    t.same([row.scope.attributes.length, row.scope.droppedAttributesCount], [3, 3], `${encoding}: scope`);
  }

  // A value too long or too deep rejects the record carrying it, in its body or attributes.
  const values = jsonLogsRequest([
    jsonLogRecord({ body: array(4) }),
    jsonLogRecord({ attributes: [{ key: 'a', value: array(4) }] }),
    jsonLogRecord({ body: deep(4) }),
    jsonLogRecord({ body: array(3), attributes: [{ key: 'd', value: deep(3) }] }),
  ]);
  for (const [encoding, decoded] of decodeBoth(values, { maxValueItems: 3, maxValueDepth: 3 })) {
    t.equal(decoded.rows.length, 1, `${encoding}: the one within the limits`);
    t.equal(decoded.rejected, 3);
    t.equal(
      decoded.message,
      '3 log records rejected: body: attribute value with more than 3 array items or kvlist entries; attribute value with more than 3 array items or kvlist entries; body: attribute value nested more than 3 levels deep',
    );
  }

  // In a resource or scope, every record of it.
  const inResource = jsonLogsRequest([jsonLogRecord(), jsonLogRecord()], [{ key: 'a', value: array(4) }]);
  for (const [encoding, decoded] of decodeBoth(inResource, { maxValueItems: 3 })) {
    t.same([decoded.rows.length, decoded.rejected], [0, 2], encoding);
    t.match(decoded.message, /^2 log records rejected: resource attribute value with more than 3/);
  }

  // Over maxRequestElements the request is refused whole, before decoding.
  const many = jsonLogsRequest(Array.from({ length: 10 }, () => ({})));
  for (const [encoding, body] of [
    ['protobuf', protobufLogsRequest(many)],
    ['json', Buffer.from(JSON.stringify(many))],
  ] as const) {
    t.throws(() => decodeLogRows(body, encoding, SITE_ID, limits({ maxRequestElements: 11 })), MalformedRequestError, `${encoding}: 13 elements refused`);
    t.equal(decodeLogRows(body, encoding, SITE_ID, limits({ maxRequestElements: 13 })).rows.length, 10, `${encoding}: 13 pass`);
    t.ok(scanLogsRequest(body, encoding).decodedBytes > 10 * 300, `${encoding}: the estimate counts each record`);
  }
  t.throws(() => decodeLogRows(Buffer.from([0x0a, 0x05, 0x12]), 'protobuf', SITE_ID), MalformedRequestError, 'truncated protobuf');
  t.throws(() => decodeLogRows(Buffer.from('{"resourceLogs":'), 'json', SITE_ID), MalformedRequestError, 'truncated JSON');
});

t.test('the exception an error log names', async (t) => {
  const cases: [string, JsonObject[], LogRow['exception']][] = [
    ['none', [{ key: 'http.route', value: { stringValue: '/' } }], null],
    ['a stack trace alone names none', [{ key: 'exception.stacktrace', value: { stringValue: 'at x' } }], null],
    ['type only', [{ key: 'exception.type', value: { stringValue: 'TypeError' } }], { type: 'TypeError', message: null, stacktrace: null }],
    [
      'message, not a string type',
      [
        { key: 'exception.type', value: { intValue: '1' } },
        { key: 'exception.message', value: { stringValue: 'x is undefined' } },
      ],
      { type: null, message: 'x is undefined', stacktrace: null },
    ],
  ];
  for (const [name, attributes, exception] of cases) {
    for (const [encoding, decoded] of decodeBoth(jsonLogsRequest([jsonLogRecord({ attributes })]))) {
      t.same(onlyRow(t, decoded).exception, exception, `${name} (${encoding})`);
    }
  }
});

t.test('over OTLP/HTTP: rejections through partial_success, the rest stored', async (t) => {
  const { app, sink } = await buildHttpApp({ signals: [tracesSignal, logsSignal] });
  t.teardown(() => app.close());
  const post = (payload: Buffer, contentType: string) =>
    app.inject({ method: 'POST', url: '/v1/logs', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType }, payload });
  const request = jsonLogsRequest([jsonLogRecord({ traceId: 'abcd' }), jsonLogRecord({ body: { stringValue: 'stored' } })]);

  const json = await post(Buffer.from(JSON.stringify(request)), 'application/json');
  t.equal(json.statusCode, 200);
  t.same(json.json(), { partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record rejected: invalid trace_id (empty or 16 bytes required)' } });

  const protobuf = await post(protobufLogsRequest(request), 'application/x-protobuf');
  t.equal(protobuf.statusCode, 200);
  t.same(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(protobuf.rawPayload), { longs: String }), {
    partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record rejected: invalid trace_id (empty or 16 bytes required)' },
  });

  const full = await post(Buffer.from(JSON.stringify(jsonLogsRequest([jsonLogRecord()]))), 'application/json');
  t.equal(full.body, '{}', 'partial_success unset on full success');
  const fullProtobuf = await post(protobufLogsRequest(jsonLogsRequest([jsonLogRecord()])), 'application/x-protobuf');
  t.equal(fullProtobuf.rawPayload.length, 0);

  t.same(
    sink.rows('logs').map((row) => row.body),
    [{ stringValue: 'stored' }, { stringValue: 'stored' }, { stringValue: 'payment failed' }, { stringValue: 'payment failed' }],
  );
  t.ok(sink.batches.every((batch) => batch.signal === 'logs' && batch.siteId === SITE_ID));
  t.equal(sink.rows().length, 0, 'no spans');

  const unauthenticated = await app.inject({ method: 'POST', url: '/v1/logs', headers: { 'content-type': 'application/json' }, payload: '{}' });
  t.equal(unauthenticated.statusCode, 401, 'the ingest key, as for traces');
});
