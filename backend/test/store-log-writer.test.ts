// The logs signal's writer (LogWriter) through the PostgresSink on a real
// database: every column of a record stored and read back exactly (int64
// extremes, bytes and structured bodies, records without a time), the folded
// and bounded search_text, the time window of the logs retention, and
// resource_scopes rows shared with spans. The sink's own mechanics are in
// store-group-commit.test.ts.
import { randomBytes } from 'node:crypto';
import type { KeyValueJson, LogRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { logSearchText, maxSearchTextChars } from '../src/store/logs/log-writer.ts';
import { makeSpanRow, nanosAt } from './helpers/span-rows.ts';
import { startWriterTest } from './helpers/writer-test.ts';

const now = Date.parse('2026-11-23T12:00:00Z');
const { db, newSiteId, newSink } = await startWriterTest(t, { firstSiteId: 300, now });

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 };
const scope = { name: 'logger', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };

function makeLogRow(overrides: Partial<LogRow> = {}): LogRow {
  const time = overrides.timeUnixNano ?? nanosAt('2026-11-23T10:00:00.123Z', 456_789n);
  return {
    siteId: '1',
    timeUnixNano: time,
    observedTimeUnixNano: time + 1_000n,
    timestampUnixNano: time,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: 'hello' },
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    serviceName: 'checkout',
    exception: null,
    resource,
    resourceSchemaUrl: '',
    scope,
    scopeSchemaUrl: '',
    ...overrides,
  };
}

interface StoredLog {
  time_micros: string;
  time_ns: string;
  time_unix_nano: string;
  observed_time_unix_nano: string;
  severity_number: number;
  severity_text: string;
  body: unknown;
  attributes: unknown;
  dropped_attributes_count: string;
  flags: string;
  trace_id: Buffer | null;
  span_id: Buffer | null;
  event_name: string;
  service_name: string;
  search_text: string;
  resource: unknown;
  resource_schema_url: string;
  scope: unknown;
  scope_schema_url: string;
  partition: string;
}

/** The site's records, each with the resource and scope of its resource_scopes row of the same site and UTC day. */
async function storedLogs(siteId: string): Promise<StoredLog[]> {
  const result = await sql<StoredLog>`
    SELECT (extract(epoch FROM l.time) * 1000000)::bigint::text AS time_micros, l.time_ns, l.time_unix_nano,
      l.observed_time_unix_nano, l.severity_number, l.severity_text, l.body, l.attributes, l.dropped_attributes_count,
      l.flags, l.trace_id, l.span_id, l.event_name, l.service_name, l.search_text,
      rs.resource, rs.resource_schema_url, rs.scope, rs.scope_schema_url, l.tableoid::regclass::text AS partition
    FROM logs l
    JOIN resource_scopes rs ON rs.site_id = l.site_id AND rs.id = l.resource_scope_id AND rs.day = date_trunc('day', l.time, 'UTC')
    WHERE l.site_id = ${siteId} ORDER BY l.time_ns, l.severity_number`.execute(db);
  return result.rows;
}

t.test('every column survives the round trip exactly', async (t) => {
  const siteId = newSiteId();
  const awkward = 'back\\slash tab\tnew\nline cr\r quote" \u00e9 \u{1F600} \\N \\x00';
  const attributes: KeyValueJson[] = [
    { key: 'text', value: { stringValue: awkward } },
    { key: 'big', value: { intValue: '9223372036854775807' } },
    { key: 'negative', value: { intValue: '-9223372036854775808' } },
    { key: 'double', value: { doubleValue: 0.1 } },
    { key: 'nan', value: { doubleValue: 'NaN' } },
    { key: 'inf', value: { doubleValue: '-Infinity' } },
    { key: 'bool', value: { boolValue: false } },
    { key: 'bytes', value: { bytesValue: 'AAEC/w==' } },
    { key: 'array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, {}] } } },
    { key: 'map', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'tab\there' } }] } } },
    { key: 'empty', value: {} },
  ];
  const body = {
    kvlistValue: {
      values: [
        { key: 'message', value: { stringValue: 'Payment failed' } },
        { key: 'amount', value: { intValue: '-9223372036854775808' } },
        { key: 'items', value: { arrayValue: { values: [{ stringValue: 'book' }, { doubleValue: 'Infinity' as const }] } } },
      ],
    },
  };
  const time = nanosAt('2026-11-23T10:00:00.123Z', 456_789n);
  const row = makeLogRow({
    siteId,
    timeUnixNano: time,
    // The largest time OTLP's decoder lets through: the column is a signed int8.
    observedTimeUnixNano: 2n ** 63n - 1n,
    timestampUnixNano: time,
    severityNumber: 24,
    severityText: 'FATAL\t4',
    body,
    attributes,
    droppedAttributesCount: 4294967295,
    flags: 0xffffffff,
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    eventName: 'checkout.failed',
    serviceName: 'svc\ttab',
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc\ttab' } }], droppedAttributesCount: 5 },
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: { name: 'scope', version: '2', attributes: [{ key: 's', value: { boolValue: true } }], droppedAttributesCount: 6 },
    scopeSchemaUrl: 'https://example.com/scope',
  });
  const sink = newSink(t);
  t.same(await sink.write({ signal: 'logs', siteId, rows: [row] }), { rejected: 0, message: '' });
  const [stored] = await storedLogs(siteId);
  if (!stored) throw new Error('the record was not stored');
  t.equal(stored.time_ns, time.toString(), 'nanoseconds beyond 2^53 are exact');
  t.equal(stored.time_micros, (time / 1000n).toString(), 'time holds the microseconds');
  t.equal(stored.time_unix_nano, time.toString());
  t.equal(stored.observed_time_unix_nano, '9223372036854775807', 'int64 maximum');
  t.equal(stored.severity_number, 24);
  t.equal(stored.severity_text, 'FATAL\t4');
  t.same(stored.body, body, 'a structured body as OTLP/JSON, int64 minimum as a string');
  t.same(stored.attributes, attributes);
  t.equal(stored.dropped_attributes_count, '4294967295');
  t.equal(stored.flags, '4294967295');
  t.same(stored.trace_id, row.traceId);
  t.same(stored.span_id, row.spanId);
  t.equal(stored.event_name, 'checkout.failed');
  t.equal(stored.service_name, 'svc\ttab');
  t.same(stored.resource, row.resource);
  t.equal(stored.resource_schema_url, row.resourceSchemaUrl);
  t.same(stored.scope, row.scope);
  t.equal(stored.scope_schema_url, row.scopeSchemaUrl);
  t.equal(stored.partition, 'logs_p20261123');
  t.equal(
    stored.search_text,
    ['payment failed', 'book', awkward.toLowerCase(), 'a', 'tab\there'].join('\n'),
    'the string values of the body, then of the attributes, folded; no keys, numbers or bytes',
  );
});

t.test('bytes bodies, empty bodies and records without a body', async (t) => {
  const siteId = newSiteId();
  const base = nanosAt('2026-11-23T09:00:00Z');
  const rows = [
    makeLogRow({ siteId, timeUnixNano: base, timestampUnixNano: base, body: { bytesValue: 'AAEC/w==' } }),
    makeLogRow({ siteId, timeUnixNano: base + 1n, timestampUnixNano: base + 1n, body: {} }),
    makeLogRow({ siteId, timeUnixNano: base + 2n, timestampUnixNano: base + 2n, body: null }),
    makeLogRow({ siteId, timeUnixNano: base + 3n, timestampUnixNano: base + 3n, body: { boolValue: true } }),
    makeLogRow({ siteId, timeUnixNano: base + 4n, timestampUnixNano: base + 4n, body: { doubleValue: 'NaN' } }),
  ];
  const sink = newSink(t);
  await sink.write({ signal: 'logs', siteId, rows });
  const stored = await storedLogs(siteId);
  t.same(
    stored.map((row) => row.body),
    [{ bytesValue: 'AAEC/w==' }, {}, {}, { boolValue: true }, { doubleValue: 'NaN' }],
  );
  t.same(
    stored.map((row) => row.search_text),
    ['', '', '', '', ''],
    'only strings are searchable',
  );
});

t.test('a record without a time is stored at its observed time, else at when it was received', async (t) => {
  const siteId = newSiteId();
  const observed = nanosAt('2026-11-23T08:00:00.000001Z', 7n);
  const received = nanosAt('2026-11-22T23:59:59.999999Z', 999n);
  const rows = [
    makeLogRow({ siteId, timeUnixNano: 0n, observedTimeUnixNano: observed, timestampUnixNano: observed, severityNumber: 1 }),
    makeLogRow({ siteId, timeUnixNano: 0n, observedTimeUnixNano: 0n, timestampUnixNano: received, severityNumber: 2 }),
  ];
  const sink = newSink(t);
  t.same(await sink.write({ signal: 'logs', siteId, rows }), { rejected: 0, message: '' });
  const stored = await storedLogs(siteId);
  t.same(
    stored.map((row) => [row.time_ns, row.time_unix_nano, row.observed_time_unix_nano, row.partition]),
    [
      [received.toString(), '0', '0', 'logs_p20261122'],
      [observed.toString(), '0', observed.toString(), 'logs_p20261123'],
    ],
    'the times as sent, 0 when absent; time and partition by the effective time',
  );
  t.equal(stored[0]!.time_micros, (received / 1000n).toString(), 'truncated, never rounded into the next day');
});

t.test('search_text is folded the same way on every database and bounded', async (t) => {
  const siteId = newSiteId();
  const rows = [
    makeLogRow({ siteId, body: { stringValue: 'ÄRGER mit der Kasse' }, severityNumber: 1 }),
    makeLogRow({ siteId, body: { stringValue: 'ärger' }, attributes: [{ key: 'ﬁle', value: { stringValue: 'ＡＢＣ ﬁle' } }], severityNumber: 2 }),
    makeLogRow({ siteId, body: { stringValue: 'x'.repeat(maxSearchTextChars + 1000) }, severityNumber: 3 }),
  ];
  const sink = newSink(t);
  await sink.write({ signal: 'logs', siteId, rows });
  const stored = await storedLogs(siteId);
  t.equal(stored[0]!.search_text, 'ärger mit der kasse', '"Ä" folds to "ä"');
  t.equal(stored[1]!.search_text, 'ärger\nabc file', 'NFKC: full-width letters and ligatures as plain letters');
  t.equal(stored[2]!.search_text.length, maxSearchTextChars, 'a huge body is searchable by its first 64 KiB');
  const found = await sql<{ n: string }>`SELECT count(*)::text AS n FROM logs WHERE site_id = ${siteId} AND search_text LIKE ${'%ärger%'}`.execute(db);
  t.equal(found.rows[0]!.n, '2', 'one term finds both spellings');
  t.equal(logSearchText(null, [{ key: 'k', value: { stringValue: 'y'.repeat(maxSearchTextChars * 2) } }, { key: 'j', value: { stringValue: 'z' } }]).length, maxSearchTextChars);
});

t.test('records outside the logs retention window are rejected through the result while the rest land', async (t) => {
  const siteId = newSiteId();
  // Logs keep 2 days here, traces the default 30: the window is the signal's own.
  const sink = newSink(t, { signalRetentionDays: { logs: 2 } });
  const inside = makeLogRow({ siteId, timeUnixNano: nanosAt('2026-11-21T00:00:00Z'), timestampUnixNano: nanosAt('2026-11-21T00:00:00Z') });
  const old = nanosAt('2026-11-20T23:59:59.999Z');
  const rows = [
    inside,
    makeLogRow({ siteId, timeUnixNano: old, timestampUnixNano: old }),
    makeLogRow({ siteId, timeUnixNano: nanosAt('2100-01-01T00:00:00Z'), timestampUnixNano: nanosAt('2100-01-01T00:00:00Z') }),
    makeLogRow({ siteId, timeUnixNano: 1n, timestampUnixNano: 1n }),
    makeLogRow({ siteId, severityNumber: 40_000 }),
  ];
  const result = await sink.write({ signal: 'logs', siteId, rows });
  t.equal(result.rejected, 4);
  t.equal(
    result.message,
    'rejected 3 log records dated outside the stored days 2026-11-21 to 2026-11-24 (UTC); rejected 1 log record with a severity_number outside -32768 to 32767',
  );
  const stored = await storedLogs(siteId);
  t.same(
    stored.map((row) => row.time_ns),
    [inside.timestampUnixNano.toString()],
  );
  const span = makeSpanRow({ siteId, startTimeUnixNano: old, endTimeUnixNano: old + 1n });
  t.same(await sink.write({ signal: 'traces', siteId, rows: [span] }), { rejected: 0, message: '' }, 'a span of that day is still kept');
});

t.test('resource_scopes rows are shared with spans: one per (site, pair, day)', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const time = nanosAt('2026-11-23T07:00:00Z');
  const span = makeSpanRow({ siteId, startTimeUnixNano: time, endTimeUnixNano: time + 10n, resource, scope });
  const logs = [makeLogRow({ siteId }), makeLogRow({ siteId, resource: { ...resource }, scope: { ...scope } })];
  // Both signals in one flush, then again in later flushes.
  await Promise.all([sink.write({ signal: 'traces', siteId, rows: [span] }), sink.write({ signal: 'logs', siteId, rows: logs })]);
  await sink.write({ signal: 'logs', siteId, rows: [makeLogRow({ siteId })] });
  await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, startTimeUnixNano: time, endTimeUnixNano: time + 1n, resource, scope })] });
  const pairs = await sql<{ id: Buffer }>`SELECT id FROM resource_scopes WHERE site_id = ${siteId}`.execute(db);
  t.equal(pairs.rows.length, 1, 'one row for the pair and day, whichever signal wrote it');
  const refs = await sql<{ id: Buffer }>`
    SELECT resource_scope_id AS id FROM logs WHERE site_id = ${siteId}
    UNION ALL SELECT resource_scope_id FROM spans WHERE site_id = ${siteId}`.execute(db);
  t.equal(refs.rows.length, 5);
  t.ok(
    refs.rows.every((row) => row.id.equals(pairs.rows[0]!.id)),
    'spans and logs refer to the same row',
  );
  t.equal((await storedLogs(siteId)).length, 3, 'every record joins its resource and scope');
});

t.test('a large flush is copied in chunks and every record lands', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const rows = Array.from({ length: 5000 }, (_, i) =>
    makeLogRow({ siteId, body: { stringValue: `record ${i} `.padEnd(200, '.') }, attributes: [{ key: 'i', value: { intValue: String(i) } }] }),
  );
  await sink.write({ signal: 'logs', siteId, rows });
  const count = await sql<{ n: string }>`SELECT count(*)::text AS n FROM logs WHERE site_id = ${siteId}`.execute(db);
  t.equal(count.rows[0]!.n, '5000');
});

t.test('the bound never splits a surrogate pair and holds after folding', async (t) => {
  const emoji = logSearchText({ stringValue: 'a' + '\u{1F600}'.repeat(maxSearchTextChars) }, []);
  t.equal(emoji.length, maxSearchTextChars - 1);
  t.notOk(/[\uD800-\uDBFF]$/.test(emoji), 'no lone high surrogate at the end');
  t.equal(logSearchText({ stringValue: 'ﬁ'.repeat(maxSearchTextChars) }, []).length, maxSearchTextChars, 'ligatures spelled out are cut again');
});
