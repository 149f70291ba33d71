// The traces signal's writer (SpanWriter) through the PostgresSink on a real
// database: what it writes for spans. Exact round trip of every column,
// resource and scope stored once per site and day, trace summaries across
// batches and midnight, the time window, a bad batch failing alone with its
// summaries, and partitions dropped under it. The sink's own mechanics
// (queue, backpressure, retries, timeout, close) are in store-group-commit.test.ts.
import { SinkOverloadedError, SinkUnavailableError, type KeyValueJson, type SpanRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { dropPartitionsBefore } from '../src/db/partitions.ts';
import { makeSpanRow, nanosAt, randomTraceId } from './helpers/span-rows.ts';
import { startWriterTest } from './helpers/writer-test.ts';

const { db, newSiteId, newSink } = await startWriterTest(t, { firstSiteId: 100 });

interface StoredSpan {
  span_id: Buffer;
  trace_id: Buffer;
  parent_span_id: Buffer | null;
  trace_state: string;
  flags: string;
  name: string;
  kind: number;
  start_micros: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  duration_ns: string;
  service_name: string;
  status_code: number;
  status_message: string;
  http_route: string | null;
  http_status_code: number | null;
  attributes: unknown;
  dropped_attributes_count: string;
  events: unknown;
  dropped_events_count: string;
  links: unknown;
  dropped_links_count: string;
  resource: unknown;
  resource_schema_url: string;
  scope: unknown;
  scope_schema_url: string;
  partition: string;
  tx: string;
}

/** The site's spans, each with the resource and scope of its resource_scopes row of the same site and UTC day. */
async function storedSpans(siteId: string): Promise<StoredSpan[]> {
  const result = await sql<StoredSpan>`
    SELECT s.span_id, s.trace_id, s.parent_span_id, s.trace_state, s.flags, s.name, s.kind,
      (extract(epoch FROM s.start_time) * 1000000)::bigint::text AS start_micros,
      s.start_time_unix_nano, s.end_time_unix_nano, s.duration_ns, s.service_name, s.status_code, s.status_message,
      s.http_route, s.http_status_code, s.attributes, s.dropped_attributes_count, s.events, s.dropped_events_count,
      s.links, s.dropped_links_count, rs.resource, rs.resource_schema_url, rs.scope, rs.scope_schema_url,
      s.tableoid::regclass::text AS partition, s.xmin::text AS tx
    FROM spans s
    JOIN resource_scopes rs ON rs.site_id = s.site_id AND rs.id = s.resource_scope_id AND rs.day = date_trunc('day', s.start_time, 'UTC')
    WHERE s.site_id = ${siteId} ORDER BY s.start_time_unix_nano, s.span_id`.execute(db);
  return result.rows;
}

interface StoredResourceScope {
  id: Buffer;
  utc_day: string;
  resource: unknown;
  resource_schema_url: string;
  scope: unknown;
  scope_schema_url: string;
}

async function resourceScopes(siteId: string): Promise<StoredResourceScope[]> {
  const result = await sql<StoredResourceScope>`
    SELECT id, to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS utc_day, resource, resource_schema_url, scope, scope_schema_url
    FROM resource_scopes WHERE site_id = ${siteId} ORDER BY day, resource_schema_url, scope_schema_url, id`.execute(db);
  return result.rows;
}

async function summaries(siteId: string) {
  return db
    .selectFrom('trace_summaries')
    .selectAll()
    .select(sql<string>`to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD')`.as('utc_day'))
    .where('site_id', '=', siteId)
    .orderBy('trace_id')
    .orderBy('day')
    .execute();
}

t.test('concurrent writes from many callers are merged into few transactions and all land exactly', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const writes = Array.from({ length: 40 }, () => Array.from({ length: 25 }, () => makeSpanRow({ siteId })));
  const results = await Promise.all(writes.map((rows) => sink.write({ signal: 'traces', siteId, rows })));
  t.same(results, writes.map(() => ({ rejected: 0, message: '' })));
  const stored = await storedSpans(siteId);
  t.equal(stored.length, 1000, 'every row is stored once');
  const transactions = new Set(stored.map((row) => row.tx));
  t.ok(transactions.size < writes.length, `${writes.length} writes were committed in ${transactions.size} transactions`);
  const expected = new Set(writes.flat().map((row) => row.spanId.toString('hex')));
  t.same(new Set(stored.map((row) => row.span_id.toString('hex'))), expected);
  t.equal(sink.pendingRows, 0);
});

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
  const row = makeSpanRow({
    siteId,
    parentSpanId: null,
    traceState: 'vendor=a\\b',
    flags: 0xffffffff,
    name: awkward,
    kind: 5,
    startTimeUnixNano: nanosAt('2026-11-23T10:00:00.123Z', 456_789n),
    endTimeUnixNano: nanosAt('2026-11-23T10:00:01.000Z', 1n),
    statusCode: 2,
    statusMessage: 'failed:\n\tbadly',
    serviceName: 'svc\ttab',
    httpRoute: null,
    httpStatusCode: null,
    attributes,
    droppedAttributesCount: 4294967295,
    events: [{ timeUnixNano: '1795428000123456789', name: 'ev', attributes: [{ key: 'k', value: { stringValue: 'v\n' } }], droppedAttributesCount: 1 }],
    droppedEventsCount: 2,
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'x=y', attributes: [], droppedAttributesCount: 0, flags: 257 }],
    droppedLinksCount: 3,
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc\ttab' } }], droppedAttributesCount: 5 },
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: { name: 'scope', version: '2', attributes: [{ key: 's', value: { boolValue: true } }], droppedAttributesCount: 6 },
    scopeSchemaUrl: 'https://example.com/scope',
  });
  const sink = newSink(t, { now: () => Date.parse('2026-11-23T12:00:00Z') });
  t.same(await sink.write({ signal: 'traces', siteId, rows: [row] }), { rejected: 0, message: '' });
  const [stored] = await storedSpans(siteId);
  if (!stored) throw new Error('the span was not stored');
  t.same(stored.trace_id, row.traceId);
  t.same(stored.span_id, row.spanId);
  t.equal(stored.parent_span_id, null);
  t.equal(stored.trace_state, row.traceState);
  t.equal(stored.flags, '4294967295');
  t.equal(stored.name, awkward);
  t.equal(stored.kind, 5);
  t.equal(stored.start_time_unix_nano, row.startTimeUnixNano.toString(), 'nanoseconds beyond 2^53 are exact');
  t.equal(stored.end_time_unix_nano, row.endTimeUnixNano.toString());
  t.equal(stored.duration_ns, (row.endTimeUnixNano - row.startTimeUnixNano).toString());
  t.equal(stored.start_micros, (row.startTimeUnixNano / 1000n).toString(), 'start_time holds the microseconds');
  t.equal(stored.service_name, 'svc\ttab');
  t.equal(stored.status_code, 2);
  t.equal(stored.status_message, 'failed:\n\tbadly');
  t.equal(stored.http_route, null);
  t.equal(stored.http_status_code, null);
  t.same(stored.attributes, attributes);
  t.equal(stored.dropped_attributes_count, '4294967295');
  t.same(stored.events, row.events);
  t.equal(stored.dropped_events_count, '2');
  t.same(stored.links, row.links);
  t.equal(stored.dropped_links_count, '3');
  t.same(stored.resource, row.resource);
  t.equal(stored.resource_schema_url, row.resourceSchemaUrl);
  t.same(stored.scope, row.scope);
  t.equal(stored.scope_schema_url, row.scopeSchemaUrl);
  t.equal(stored.partition, 'spans_p20261123');
});

t.test('many spans of one resource and scope are stored with ONE resource_scopes row per day', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t, { now: () => Date.parse('2026-11-24T12:00:00Z') });
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }], droppedAttributesCount: 0 };
  const scope = { name: 'http', version: '1', attributes: [], droppedAttributesCount: 0 };
  const day1 = nanosAt('2026-11-23T10:00:00Z');
  const day2 = nanosAt('2026-11-24T10:00:00Z');
  const batch = (start: bigint) => Array.from({ length: 50 }, (_, i) => makeSpanRow({ siteId, resource, scope, startTimeUnixNano: start + BigInt(i), endTimeUnixNano: start + 1000n }));
  // Concurrent writes (merged into shared flushes), then later ones, over two days.
  await Promise.all([batch(day1), batch(day1), batch(day2)].map((rows) => sink.write({ signal: 'traces', siteId, rows })));
  await sink.write({ signal: 'traces', siteId, rows: batch(day1) });
  // The same content in other objects (as another export would decode it), keys in another order.
  const again = batch(day2).map((row) => ({
    ...row,
    resource: { droppedAttributesCount: 0, attributes: [{ value: { stringValue: 'shop' }, key: 'service.name' }] },
    scope: { ...scope },
  }));
  await sink.write({ signal: 'traces', siteId, rows: again });

  const rows = await resourceScopes(siteId);
  t.same(rows.map((row) => row.utc_day), ['2026-11-23', '2026-11-24'], 'one row per UTC day');
  t.same(rows[0]?.id, rows[1]?.id, 'the same id on both days');
  t.equal(rows[0]?.id.length, 16, 'a 16-byte id');
  t.same(rows[0]?.resource, resource);
  t.same(rows[0]?.scope, scope);
  const stored = await storedSpans(siteId);
  t.equal(stored.length, 250, 'every span joins its resource_scopes row of its own day');
  t.ok(stored.every((span) => span.service_name === 'checkout'), 'the promoted service name stays on the span');
});

t.test('each (resource, scope, schema URLs) is a row of its own, per site', async (t) => {
  const siteA = newSiteId();
  const siteB = newSiteId();
  const sink = newSink(t);
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shared' } }], droppedAttributesCount: 0 };
  const other = { attributes: [{ key: 'service.name', value: { stringValue: 'other' } }], droppedAttributesCount: 0 };
  const scope = { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 };
  const rowsOf = (siteId: string) => [
    makeSpanRow({ siteId, resource, scope }),
    makeSpanRow({ siteId, resource, scope }),
    makeSpanRow({ siteId, resource, scope, scopeSchemaUrl: 'https://example.com/s' }),
    makeSpanRow({ siteId, resource, resourceSchemaUrl: 'https://example.com/r', scope }),
    makeSpanRow({ siteId, resource: other, scope }),
  ];
  // Both sites in one flush, and again in a later one.
  await Promise.all([siteA, siteB].map((siteId) => sink.write({ signal: 'traces', siteId, rows: rowsOf(siteId) })));
  await sink.write({ signal: 'traces', siteId: siteB, rows: rowsOf(siteB) });
  const a = await resourceScopes(siteA);
  const b = await resourceScopes(siteB);
  t.equal(a.length, 4, 'four distinct pairs of site A');
  t.equal(b.length, 4, 'and four of site B, not shared with A');
  t.same(
    a.map((row) => row.id.toString('hex')).sort(),
    b.map((row) => row.id.toString('hex')).sort(),
    'equal content has equal ids in both sites',
  );
  t.equal(new Set(a.map((row) => row.id.toString('hex'))).size, 4, 'schema URLs are part of the id');
  const stored = await storedSpans(siteB);
  t.equal(stored.length, 10);
  t.same(
    stored.map((span) => [span.resource_schema_url, span.scope_schema_url]).sort(),
    [['', ''], ['', ''], ['', ''], ['', ''], ['', ''], ['', ''], ['', 'https://example.com/s'], ['', 'https://example.com/s'], ['https://example.com/r', ''], ['https://example.com/r', '']],
  );
});

t.test('concurrent sinks writing the same new pairs in different orders all land, one row each', async (t) => {
  const siteId = newSiteId();
  const sinks = [newSink(t), newSink(t)];
  const resources = Array.from({ length: 12 }, (_, i) => ({ attributes: [{ key: 'service.name', value: { stringValue: `svc-${i}` } }], droppedAttributesCount: 0 }));
  const scope = { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 };
  const writes = Array.from({ length: 16 }, (_, w) => {
    const order = w % 2 === 0 ? resources : [...resources].reverse();
    return sinks[w % 2]!.write({ signal: 'traces', siteId, rows: order.map((resource) => makeSpanRow({ siteId, resource, scope })) });
  });
  const outcomes = await Promise.allSettled(writes);
  t.same(outcomes.map((outcome) => outcome.status), writes.map(() => 'fulfilled'));
  t.equal((await resourceScopes(siteId)).length, 12);
  t.equal((await storedSpans(siteId)).length, 16 * 12);
});

t.test('strings PostgreSQL cannot hold are stored with U+FFFD instead of failing the batch', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const row = makeSpanRow({
    siteId,
    name: 'nul\u0000here',
    statusMessage: 'lone \ud800 surrogate',
    attributes: [
      { key: 'nul\u0000key', value: { stringValue: 'a\u0000b' } },
      { key: 'surrogate', value: { stringValue: 'x\udc00y' } },
      { key: 'escaped', value: { stringValue: '\\u0000 is text' } },
    ],
  });
  t.same(await sink.write({ signal: 'traces', siteId, rows: [row] }), { rejected: 0, message: '' });
  const [stored] = await storedSpans(siteId);
  t.equal(stored?.name, 'nul\uFFFDhere');
  t.equal(stored?.status_message, 'lone \uFFFD surrogate');
  t.same(stored?.attributes, [
    { key: 'nul\uFFFDkey', value: { stringValue: 'a\uFFFDb' } },
    { key: 'surrogate', value: { stringValue: 'x\uFFFDy' } },
    { key: 'escaped', value: { stringValue: '\\u0000 is text' } },
  ]);
});

t.test('a span with 10,000 attributes is stored whole', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const attributes: KeyValueJson[] = Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: { stringValue: `value ${i}\twith tab` } }));
  await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, attributes })] });
  const [stored] = await storedSpans(siteId);
  t.same(stored?.attributes, attributes);
});

t.test('trace summaries add up across batches, and the first root stays', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const traceId = randomTraceId();
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  const span = (offsetMs: number, durationMs: number, extra: Partial<SpanRow> = {}) =>
    makeSpanRow({ siteId, traceId, startTimeUnixNano: base + BigInt(offsetMs) * 1_000_000n, endTimeUnixNano: base + BigInt(offsetMs + durationMs) * 1_000_000n, ...extra });

  await sink.write({ signal: 'traces', siteId, rows: [span(10, 5), span(20, 50, { statusCode: 2 })] });
  let [summary] = await summaries(siteId);
  t.equal(summary?.span_count, '2');
  t.equal(summary?.error_count, '1');
  t.equal(summary?.root_span_name, null, 'no root seen yet');
  t.equal(summary?.start_time_unix_nano, (base + 10_000_000n).toString());
  t.equal(summary?.end_time_unix_nano, (base + 70_000_000n).toString());

  await sink.write({ signal: 'traces', siteId, rows: [span(0, 100, { parentSpanId: null, name: 'GET /root', serviceName: 'frontend', statusCode: 2 })] });
  [summary] = await summaries(siteId);
  t.equal(summary?.span_count, '3');
  t.equal(summary?.error_count, '2');
  t.equal(summary?.root_span_name, 'GET /root');
  t.equal(summary?.root_service_name, 'frontend');
  t.equal(summary?.start_time_unix_nano, base.toString());
  t.equal(summary?.end_time_unix_nano, (base + 100_000_000n).toString());
  t.equal(BigInt(summary!.start_time.getTime()), base / 1_000_000n);

  // A later parentless span (say, a detached job) does not replace the root.
  await sink.write({ signal: 'traces', siteId, rows: [span(500, 10, { parentSpanId: null, name: 'late', serviceName: 'worker' })] });
  [summary] = await summaries(siteId);
  t.equal(summary?.span_count, '4');
  t.equal(summary?.root_span_name, 'GET /root');
  t.equal(summary?.root_service_name, 'frontend');
});

t.test('a batch with two parentless spans of one trace takes the earliest as root', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const traceId = randomTraceId();
  const start = BigInt(Date.now()) * 1_000_000n;
  await sink.write({
    signal: 'traces',
    siteId,
    rows: [
      makeSpanRow({ siteId, traceId, parentSpanId: null, name: 'second', startTimeUnixNano: start + 5n, endTimeUnixNano: start + 10n }),
      makeSpanRow({ siteId, traceId, parentSpanId: null, name: 'first', startTimeUnixNano: start, endTimeUnixNano: start + 10n }),
    ],
  });
  const [summary] = await summaries(siteId);
  t.equal(summary?.root_span_name, 'first');
  t.equal(summary?.span_count, '2');
});

t.test('a trace across midnight UTC has a summary row per day and spans in each day partition', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t, { now: () => Date.parse('2026-11-24T12:00:00Z') });
  const traceId = randomTraceId();
  const beforeMidnight = nanosAt('2026-11-23T23:59:59.999Z', 999_999n);
  const atMidnight = nanosAt('2026-11-24T00:00:00.000Z');
  const rows = [
    makeSpanRow({ siteId, traceId, parentSpanId: null, name: 'root', startTimeUnixNano: beforeMidnight, endTimeUnixNano: atMidnight + 5_000_000n }),
    makeSpanRow({ siteId, traceId, startTimeUnixNano: atMidnight, endTimeUnixNano: atMidnight + 1_000n, statusCode: 2 }),
    makeSpanRow({ siteId, traceId, startTimeUnixNano: atMidnight + 1n, endTimeUnixNano: atMidnight + 2_000n }),
  ];
  await sink.write({ signal: 'traces', siteId, rows });
  const rowsByDay = await summaries(siteId);
  t.same(
    rowsByDay.map((row) => [row.utc_day, row.span_count, row.error_count, row.root_span_name, row.start_time_unix_nano, row.end_time_unix_nano]),
    [
      ['2026-11-23', '1', '0', 'root', beforeMidnight.toString(), (atMidnight + 5_000_000n).toString()],
      ['2026-11-24', '2', '1', null, atMidnight.toString(), (atMidnight + 2_000n).toString()],
    ],
  );
  const stored = await storedSpans(siteId);
  t.same(stored.map((row) => row.partition), ['spans_p20261123', 'spans_p20261124', 'spans_p20261124']);
});

t.test('spans outside the kept days are rejected through the result while the rest land', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t, { retentionDays: 30, futureDays: 1 });
  const good = [makeSpanRow({ siteId }), makeSpanRow({ siteId }), makeSpanRow({ siteId })];
  const rows = [
    good[0]!,
    makeSpanRow({ siteId, startTimeUnixNano: 0n, endTimeUnixNano: 1n }),
    good[1]!,
    makeSpanRow({ siteId, startTimeUnixNano: nanosAt('2100-01-01T00:00:00Z'), endTimeUnixNano: nanosAt('2100-01-01T00:00:01Z') }),
    good[2]!,
  ];
  const result = await sink.write({ signal: 'traces', siteId, rows });
  t.equal(result.rejected, 2);
  t.match(result.message, /2 spans started outside the stored days/);
  const stored = await storedSpans(siteId);
  t.same(new Set(stored.map((row) => row.span_id.toString('hex'))), new Set(good.map((row) => row.spanId.toString('hex'))));

  const onlyBad = await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, startTimeUnixNano: 1n, endTimeUnixNano: 2n })] });
  t.equal(onlyBad.rejected, 1);
  t.match(onlyBad.message, /^rejected 1 span started outside the stored days/);
  t.equal((await storedSpans(siteId)).length, 3);
});

t.test("a batch the database refuses fails alone; other clients' rows in the same flush land", async (t) => {
  const siteId = newSiteId();
  // A data error only this test's rows can trigger: a check on the span name.
  await sql`ALTER TABLE spans ADD CONSTRAINT test_no_poison CHECK (name <> 'poison') NOT VALID`.execute(db);
  t.teardown(() => sql`ALTER TABLE spans DROP CONSTRAINT test_no_poison`.execute(db));
  const sink = newSink(t);
  const a = [makeSpanRow({ siteId }), makeSpanRow({ siteId })];
  const b = [makeSpanRow({ siteId }), makeSpanRow({ siteId, name: 'poison' })];
  const c = [makeSpanRow({ siteId })];
  const outcomes = await Promise.allSettled([a, b, c].map((rows) => sink.write({ signal: 'traces', siteId, rows })));
  t.equal(outcomes[0]?.status, 'fulfilled');
  t.equal(outcomes[2]?.status, 'fulfilled');
  const failed = outcomes[1];
  t.ok(failed?.status === 'rejected', 'the poisoned batch fails');
  if (failed?.status === 'rejected') {
    t.notOk(failed.reason instanceof SinkUnavailableError || failed.reason instanceof SinkOverloadedError, 'as an internal error, not a retryable one');
    t.match((failed.reason as Error).message, /test_no_poison/);
  }
  const stored = new Set((await storedSpans(siteId)).map((row) => row.span_id.toString('hex')));
  t.same(stored, new Set([...a, ...c].map((row) => row.spanId.toString('hex'))));
  const [summary] = await summaries(siteId);
  t.ok(summary, 'summaries of the committed batches exist');
  const total = (await summaries(siteId)).reduce((sum, row) => sum + Number(row.span_count), 0);
  t.equal(total, 3, 'summaries count only the committed spans');
});

t.test('a partition dropped under the sink is made again', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId })] });
  // Drop today's partitions behind the sink's back (as a retention run in another process could).
  const tomorrow = new Date(Date.now() + 86_400_000);
  await dropPartitionsBefore(db, 'spans', tomorrow);
  await dropPartitionsBefore(db, 'trace_summaries', tomorrow);
  t.same(await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId })] }), { rejected: 0, message: '' });
  t.equal((await storedSpans(siteId)).length, 1, 'the new row is stored (the dropped partition took the old one)');
});

t.test('partitions of all tables dropped under the sink are made again, resource_scopes rows included', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'dropped' } }], droppedAttributesCount: 0 };
  await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, resource })] });
  t.equal((await resourceScopes(siteId)).length, 1);
  // As a retention run in another process could: every table's partition of today goes.
  const tomorrow = new Date(Date.now() + 86_400_000);
  for (const table of ['spans', 'trace_summaries', 'resource_scopes'] as const) await dropPartitionsBefore(db, table, tomorrow);
  t.same(await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, resource })] }), { rejected: 0, message: '' });
  const [stored, ...more] = await storedSpans(siteId);
  t.equal(more.length, 0, 'only the new span');
  t.same(stored?.resource, resource, 'its resource_scopes row was written again, not skipped as known');
});
