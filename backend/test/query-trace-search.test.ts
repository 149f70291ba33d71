// Covers searchTraces over a real database: each filter (service, operation,
// status, durations, attributes of each type, resource attributes shared by
// many spans, time range), the merged summary
// of a trace that crosses midnight, traces without a root, site isolation,
// keyset paging without duplicates or gaps (ties on start time included), and
// span and error counts that match the trace view when an export was stored twice.
import type { SpanRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { InvalidCursorError } from '../src/query/traces/trace-cursor.ts';
import { searchTraces, type TraceSearch } from '../src/query/traces/trace-search.ts';
import { getTrace } from '../src/query/traces/traces.ts';
import { createSite } from '../src/store/sites.ts';
import { MINUTE, MS, nanos, newSpanId, newTraceId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

const base = nanos(new Date(Date.now() - 30 * 60_000));
const window = { start: new Date(Number((base - 10n * MINUTE) / MS)), end: new Date(Number((base + 10n * MINUTE) / MS)) };

// T1 < T2 < T3 < T4 by start time.
const t1 = newTraceId();
const t2 = newTraceId();
const t3 = newTraceId();
const t4 = newTraceId();
const t2Root = newSpanId();
await write(siteA, [
  spanRow(siteA, {
    traceId: t1,
    serviceName: 'checkout',
    name: 'GET /cart',
    statusCode: 1,
    startTimeUnixNano: base + 1n * SECOND,
    endTimeUnixNano: base + 1n * SECOND + 5n * MS,
    attributes: [
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'http.status_code', value: { intValue: '200' } },
    ],
  }),
  spanRow(siteA, {
    traceId: t2,
    spanId: t2Root,
    serviceName: 'checkout',
    name: 'POST /pay',
    startTimeUnixNano: base + 2n * SECOND,
    endTimeUnixNano: base + 4n * SECOND + 7n,
  }),
  spanRow(siteA, {
    traceId: t2,
    parentSpanId: t2Root,
    serviceName: 'payments',
    name: 'charge',
    kind: 3,
    statusCode: 2,
    startTimeUnixNano: base + 2n * SECOND + 1n,
    endTimeUnixNano: base + 3n * SECOND,
    attributes: [{ key: 'amount', value: { doubleValue: 12.5 } }],
    resource: {
      attributes: [
        { key: 'service.name', value: { stringValue: 'payments' } },
        { key: 'deployment.environment', value: { stringValue: 'prod' } },
      ],
      droppedAttributesCount: 0,
    },
  }),
  spanRow(siteA, {
    traceId: t3,
    serviceName: 'search',
    name: 'GET /search',
    startTimeUnixNano: base + 3n * SECOND,
    endTimeUnixNano: base + 3n * SECOND + 300n * MS,
    attributes: [{ key: 'cache.hit', value: { boolValue: true } }],
  }),
  // No root yet: only a child has arrived.
  spanRow(siteA, {
    traceId: t4,
    parentSpanId: newSpanId(),
    serviceName: 'worker',
    name: 'consume',
    kind: 5,
    startTimeUnixNano: base + 4n * SECOND,
    endTimeUnixNano: base + 4n * SECOND + 50n * MS,
  }),
  // Outside the window on either side.
  spanRow(siteA, { serviceName: 'checkout', startTimeUnixNano: base - 11n * MINUTE }),
  spanRow(siteA, { serviceName: 'checkout', startTimeUnixNano: base + 11n * MINUTE }),
]);
const t5 = newTraceId();
await write(siteB, [spanRow(siteB, { traceId: t5, serviceName: 'checkout', name: 'GET /cart', startTimeUnixNano: base })]);

const hex = (id: Buffer) => id.toString('hex');
async function ids(search: Partial<TraceSearch>, siteId = siteA): Promise<string[]> {
  const result = await searchTraces(db, siteId, { ...window, ...search });
  return result.traces.map((trace) => trace.traceId);
}

t.test('newest first, with the merged summary of each trace', async (t) => {
  const result = await searchTraces(db, siteA, window);
  t.strictSame(result.traces.map((trace) => trace.traceId), [t4, t3, t2, t1].map(hex));
  t.equal(result.nextCursor, null);
  t.strictSame(result.traces[2], {
    traceId: hex(t2),
    rootServiceName: 'checkout',
    rootSpanName: 'POST /pay',
    startTimeUnixNano: (base + 2n * SECOND).toString(),
    durationNs: (2n * SECOND + 7n).toString(),
    spanCount: 2,
    errorCount: 1,
  });
  t.strictSame(result.traces[0], {
    traceId: hex(t4),
    rootServiceName: null,
    rootSpanName: null,
    startTimeUnixNano: (base + 4n * SECOND).toString(),
    durationNs: (50n * MS).toString(),
    spanCount: 1,
    errorCount: 0,
  });
});

t.test('service and operation match any span of the trace, together', async (t) => {
  t.strictSame(await ids({ service: 'checkout' }), [t2, t1].map(hex));
  t.strictSame(await ids({ service: 'payments' }), [hex(t2)]);
  t.strictSame(await ids({ operation: 'charge' }), [hex(t2)]);
  t.strictSame(await ids({ service: 'payments', operation: 'charge' }), [hex(t2)]);
  t.strictSame(await ids({ service: 'checkout', operation: 'charge' }), [], 'both must hold on one span');
  t.strictSame(await ids({ service: 'nope' }), []);
});

t.test('status is the trace status', async (t) => {
  t.strictSame(await ids({ status: 'error' }), [hex(t2)]);
  t.strictSame(await ids({ status: 'ok' }), [hex(t1)]);
  t.strictSame(await ids({ status: 'unset' }), [t4, t3].map(hex));
});

t.test('durations bound the whole trace, inclusively', async (t) => {
  t.strictSame(await ids({ minDurationNs: 100n * MS }), [t3, t2].map(hex));
  t.strictSame(await ids({ maxDurationNs: 100n * MS }), [t4, t1].map(hex));
  t.strictSame(await ids({ minDurationNs: 250n * MS, maxDurationNs: SECOND }), [hex(t3)]);
  t.strictSame(await ids({ minDurationNs: 2n * SECOND + 7n }), [hex(t2)]);
  t.strictSame(await ids({ minDurationNs: 2n * SECOND + 8n }), []);
});

t.test('attributes match strings and typed values by their text, span or resource', async (t) => {
  t.strictSame(await ids({ attributes: { 'http.method': 'GET' } }), [hex(t1)]);
  t.strictSame(await ids({ attributes: { 'http.status_code': '200' } }), [hex(t1)], 'int');
  t.strictSame(await ids({ attributes: { amount: '12.5' } }), [hex(t2)], 'double');
  t.strictSame(await ids({ attributes: { 'cache.hit': 'true' } }), [hex(t3)], 'bool');
  t.strictSame(await ids({ attributes: { 'deployment.environment': 'prod' } }), [hex(t2)], 'resource attribute');
  t.strictSame(await ids({ attributes: { 'http.method': 'GET', 'http.status_code': '200' } }), [hex(t1)]);
  t.strictSame(await ids({ attributes: { 'http.method': 'GET', 'cache.hit': 'true' } }), [], 'all on one span');
  t.strictSame(await ids({ attributes: { 'http.method': 'get' } }), []);
  t.strictSame(await ids({ attributes: { 'http.status_code': '200.0' } }), []);
  t.strictSame(await ids({ service: 'payments', attributes: { amount: '12.5' } }), [hex(t2)]);
  t.strictSame(await ids({ service: 'checkout', attributes: { amount: '12.5' } }), []);
});

t.test('a resource attribute matches every trace under that resource, in its own site only', async (t) => {
  const site1 = (await createSite(db, { name: 'resources 1' })).id;
  const site2 = (await createSite(db, { name: 'resources 2' })).id;
  const region = (name: string) => ({
    attributes: [
      { key: 'service.name', value: { stringValue: 'shop' } },
      { key: 'cloud.region', value: { stringValue: name } },
    ],
    droppedAttributesCount: 0,
  });
  const eu = region('eu-west');
  const traces = [newTraceId(), newTraceId(), newTraceId(), newTraceId()];
  const get = [{ key: 'http.method', value: { stringValue: 'GET' } }];
  await write(site1, [
    // Three traces under one shared resource object (as one export decodes), one of them a GET.
    spanRow(site1, { traceId: traces[0], resource: eu, startTimeUnixNano: base + 1n * SECOND }),
    spanRow(site1, { traceId: traces[1], resource: eu, startTimeUnixNano: base + 2n * SECOND, attributes: get }),
    spanRow(site1, { traceId: traces[2], resource: eu, startTimeUnixNano: base + 3n * SECOND }),
    // A GET under another region: the attribute and the resource must be on one span.
    spanRow(site1, { traceId: traces[3], resource: region('us-east'), startTimeUnixNano: base + 4n * SECOND, attributes: get }),
  ]);
  const elsewhere = newTraceId();
  await write(site2, [spanRow(site2, { traceId: elsewhere, resource: region('eu-west'), startTimeUnixNano: base + 5n * SECOND })]);

  t.strictSame(await ids({ attributes: { 'cloud.region': 'eu-west' } }, site1), [traces[2], traces[1], traces[0]].map((id) => hex(id!)));
  t.strictSame(await ids({ attributes: { 'cloud.region': 'us-east' } }, site1), [hex(traces[3]!)]);
  t.strictSame(await ids({ attributes: { 'cloud.region': 'eu-west', 'http.method': 'GET' } }, site1), [hex(traces[1]!)]);
  t.strictSame(await ids({ attributes: { 'cloud.region': 'eu-north' } }, site1), []);
  t.strictSame(await ids({ attributes: { 'cloud.region': 'eu-west' } }, site2), [hex(elsewhere)], 'the same resource in another site');
  t.strictSame(await ids({ attributes: { 'cloud.region': 'eu-west' } }), [], 'not in a site without it');
});

t.test('the time range holds traces by their start', async (t) => {
  const middle = new Date(Number((base + 2n * SECOND) / MS));
  t.strictSame(await ids({ start: middle }), [t4, t3, t2].map(hex), 'start is inclusive');
  t.strictSame(await ids({ end: middle }), [hex(t1)], 'end is exclusive');
});

t.test('a site sees only its own traces', async (t) => {
  t.strictSame(await ids({}, siteB), [hex(t5)]);
  t.strictSame(await ids({ service: 'checkout' }, siteB), [hex(t5)]);
});

t.test('a trace that crosses midnight is one trace, merged', async (t) => {
  const site = (await createSite(db, { name: 'midnight' })).id;
  const midnight = nanos(new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000));
  const before = newTraceId();
  const rootId = newSpanId();
  // The root starts after midnight; a child (clock skew) before it.
  await write(site, [
    spanRow(site, { traceId: before, parentSpanId: rootId, serviceName: 'child', startTimeUnixNano: midnight - SECOND, endTimeUnixNano: midnight - SECOND + 1n, statusCode: 2 }),
    spanRow(site, { traceId: before, spanId: rootId, serviceName: 'root', name: 'midnight run', startTimeUnixNano: midnight + SECOND, endTimeUnixNano: midnight + 3n * SECOND }),
  ]);
  const range = { start: new Date(Number((midnight - MINUTE) / MS)), end: new Date(Number((midnight + MINUTE) / MS)) };
  const result = await searchTraces(db, site, range);
  t.strictSame(result.traces, [
    {
      traceId: hex(before),
      rootServiceName: 'root',
      rootSpanName: 'midnight run',
      startTimeUnixNano: (midnight - SECOND).toString(),
      durationNs: (4n * SECOND).toString(),
      spanCount: 2,
      errorCount: 1,
    },
  ]);
  t.strictSame((await searchTraces(db, site, { ...range, start: new Date(Number(midnight / MS)) })).traces, [], 'it started before midnight');
  t.strictSame((await searchTraces(db, site, { ...range, service: 'root', status: 'error' })).traces.length, 1, 'filters see both days');
});

t.test('a filter met only by the second day of a trace finds it, and one its first day already fails does not', async (t) => {
  const site = (await createSite(db, { name: 'second day' })).id;
  const midnight = nanos(new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000));
  const trace = newTraceId();
  const rootId = newSpanId();
  // The first day: a short root of `early`, no error. The second: a long, failed span of `late`.
  await write(site, [
    spanRow(site, { traceId: trace, spanId: rootId, serviceName: 'early', startTimeUnixNano: midnight - 2n * SECOND, endTimeUnixNano: midnight - SECOND }),
    spanRow(site, { traceId: trace, parentSpanId: rootId, serviceName: 'late', statusCode: 2, startTimeUnixNano: midnight + SECOND, endTimeUnixNano: midnight + 8n * SECOND }),
  ]);
  const range = { start: new Date(Number((midnight - MINUTE) / MS)), end: new Date(Number((midnight + MINUTE) / MS)) };
  const found = async (search: Partial<TraceSearch>) => (await searchTraces(db, site, { ...range, ...search })).traces.map((found) => found.traceId);
  t.strictSame(await found({ service: 'late' }), [hex(trace)], 'a service of the second day');
  t.strictSame(await found({ status: 'error' }), [hex(trace)], 'an error of the second day');
  t.strictSame(await found({ minDurationNs: 9n * SECOND }), [hex(trace)], 'a duration that the second day makes');
  t.strictSame(await found({ service: 'early', status: 'error', minDurationNs: 10n * SECOND }), [hex(trace)], 'all of them at once');
  t.strictSame(await found({ minDurationNs: 10n * SECOND + 1n }), [], 'longer than the whole trace');
  t.strictSame(await found({ maxDurationNs: 5n * SECOND }), [], 'the merged trace is longer, though its first day is not');
  t.strictSame(await found({ status: 'unset' }), [], 'the second day failed');
  t.strictSame(await found({ service: 'absent' }), [], 'a service of neither day');
  // A range that ends before the second day begins: the trace started in it, so its second day still counts.
  const firstDayOnly = { start: range.start, end: new Date(Number(midnight / MS) - 1) };
  const early = await searchTraces(db, site, { ...firstDayOnly, service: 'late', status: 'error' });
  t.strictSame(
    early.traces.map((found) => [found.traceId, found.durationNs]),
    [[hex(trace), (10n * SECOND).toString()]],
    'a range ending on the first day: merged, and matched by the second',
  );
});

t.test('a summary row whose attributes are not indexed ({0}) is searched by its spans', async (t) => {
  const site = (await createSite(db, { name: 'not indexed' })).id;
  const trace = newTraceId();
  await write(site, [spanRow(site, { traceId: trace, serviceName: 'legacy', startTimeUnixNano: base })]);
  await db.updateTable('trace_summaries').set({ attribute_hashes: sql<string[]>`'{0}'::bigint[]` }).where('site_id', '=', site).execute();
  t.strictSame(await ids({ service: 'legacy' }, site), [hex(trace)]);
  t.strictSame(await ids({ service: 'other' }, site), []);
});

t.test('cursor paging visits every trace once, ties included', async (t) => {
  const site = (await createSite(db, { name: 'paging' })).id;
  const rows: SpanRow[] = [];
  for (let i = 0n; i < 20n; i++) rows.push(spanRow(site, { startTimeUnixNano: base + i * SECOND }));
  // Ties: same nanosecond, and same microsecond with different nanoseconds.
  for (let i = 0n; i < 3n; i++) rows.push(spanRow(site, { startTimeUnixNano: base + 5n * SECOND }));
  for (let i = 0n; i < 3n; i++) rows.push(spanRow(site, { startTimeUnixNano: base + 7n * SECOND + 100n + i }));
  await write(site, rows);

  const all = await searchTraces(db, site, { ...window, limit: 1000 });
  t.equal(all.traces.length, 26);
  t.equal(all.nextCursor, null);

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page: TraceSearchPage = await searchTraces(db, site, { ...window, limit: 4, ...(cursor === undefined ? {} : { cursor }) });
    seen.push(...page.traces.map((trace) => trace.traceId));
    cursor = page.nextCursor ?? undefined;
    pages++;
    t.ok(pages <= 7, 'paging ends');
    if (pages > 7) break;
  } while (cursor !== undefined);
  t.equal(pages, 7);
  t.strictSame(seen, all.traces.map((trace) => trace.traceId), 'same traces, same order, none twice');

  // Exactly one full page: no next cursor.
  const exact = await searchTraces(db, site, { ...window, limit: 26 });
  t.equal(exact.nextCursor, null);
  const short = await searchTraces(db, site, { ...window, limit: 25 });
  t.type(short.nextCursor, 'string');
  const last = await searchTraces(db, site, { ...window, limit: 25, cursor: short.nextCursor ?? '' });
  t.strictSame(last.traces.map((trace) => trace.traceId), [all.traces[25]?.traceId]);
});

t.test('a forged cursor is rejected', async (t) => {
  await t.rejects(searchTraces(db, siteA, { ...window, cursor: 'bm90LWEtY3Vyc29y' }), InvalidCursorError);
});

t.test('limit is clamped to 1..1000', async (t) => {
  t.equal((await searchTraces(db, siteA, { ...window, limit: 0 })).traces.length, 1);
  t.equal((await searchTraces(db, siteA, { ...window, limit: 2 })).traces.length, 2);
});

type TraceSearchPage = Awaited<ReturnType<typeof searchTraces>>;

t.test('spans stored twice (a retried export) count once, as in the trace view', async (t) => {
  const site = (await createSite(db, { name: 'retries' })).id;
  // The trace across midnight has a site of its own: in the minutes after midnight UTC the plain trace's window
  // (30 minutes ago, give or take 10) reaches back across midnight too, and its searches would find both.
  const crossingSite = (await createSite(db, { name: 'retries across midnight' })).id;
  const midnight = nanos(new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000));
  const plain = newTraceId();
  const plainRoot = newSpanId();
  const plainRows = [
    spanRow(site, { traceId: plain, spanId: plainRoot, startTimeUnixNano: base, endTimeUnixNano: base + 2n * SECOND }),
    spanRow(site, { traceId: plain, parentSpanId: plainRoot, statusCode: 2, startTimeUnixNano: base + 1n, endTimeUnixNano: base + SECOND }),
    spanRow(site, { traceId: plain, parentSpanId: plainRoot, startTimeUnixNano: base + 2n, endTimeUnixNano: base + SECOND }),
  ];
  // One that crosses midnight: its summary has two rows, each inflated.
  const crossing = newTraceId();
  const crossingRoot = newSpanId();
  const crossingRows = [
    spanRow(crossingSite, { traceId: crossing, spanId: crossingRoot, startTimeUnixNano: midnight - SECOND, endTimeUnixNano: midnight + 2n * SECOND }),
    spanRow(crossingSite, { traceId: crossing, parentSpanId: crossingRoot, statusCode: 2, startTimeUnixNano: midnight + SECOND, endTimeUnixNano: midnight + 2n * SECOND }),
  ];
  // The exporter's first attempt committed but its reply was lost; it sends the same spans again.
  for (let attempt = 0; attempt < 2; attempt++) {
    await write(site, plainRows);
    await write(crossingSite, crossingRows);
  }
  const stored = await db
    .selectFrom('trace_summaries')
    .where('site_id', 'in', [site, crossingSite])
    .select((eb) => eb.fn.sum<string>('span_count').as('n'))
    .executeTakeFirst();
  t.equal(Number(stored?.n), 10, 'the summaries themselves count each retried span twice');

  for (const [traceSite, traceId, range, spans, errors] of [
    [site, plain, window, 3, 1],
    [crossingSite, crossing, { start: new Date(Number((midnight - MINUTE) / MS)), end: new Date(Number((midnight + MINUTE) / MS)) }, 2, 1],
  ] as const) {
    const view = await getTrace(db, traceSite, hex(traceId));
    t.equal(view?.spanCount, spans, 'the trace view counts each span once');
    const listed = (await searchTraces(db, traceSite, range)).traces.find((trace) => trace.traceId === hex(traceId));
    t.equal(listed?.spanCount, view?.spanCount, 'the list counts what the trace view shows');
    t.equal(listed?.errorCount, errors);
    // Duplicates change neither whether a trace has an error nor its duration.
    t.strictSame(
      (await searchTraces(db, traceSite, { ...range, status: 'error', minDurationNs: 2n * SECOND })).traces.map((trace) => trace.traceId),
      [hex(traceId)],
    );
  }
});
