// Covers trace_summaries.attribute_hashes as the span writer keeps it and the
// trace search reads it: the distinct `key=value` hashes of a trace's span and
// resource scalar attributes (arrays and bytes left out), merged across
// flushes, {0} over the cap (in one flush or by the merge), and the search:
// a not-indexed row is still found by reading its spans, a hash no span
// holds (a collision) finds nothing, an attribute only on a trace's second
// day finds the trace, and a value too common to list candidates by ID is
// joined in SQL, alone and beside a listed one.
import type { KeyValueJson } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { searchTraces } from '../src/query/traces/trace-search.ts';
import { MAX_LISTED_CANDIDATES } from '../src/query/traces/trace-attribute-candidates.ts';
import { MAX_ATTRIBUTE_HASHES } from '../src/store/traces/trace-attribute-hashes.ts';
import { createSite } from '../src/store/sites.ts';
import { MINUTE, MS, nanos, newSpanId, newTraceId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, write } = await setUpQueryTest(t);
const base = nanos(new Date(Date.now() - 30 * 60_000));
const window = { start: new Date(Number((base - 10n * MINUTE) / MS)), end: new Date(Number((base + 10n * MINUTE) / MS)) };
const hex = (id: Buffer): string => id.toString('hex');

/** The stored hashes of a trace's rows (sorted as text), by day. */
async function storedHashes(traceId: Buffer): Promise<string[][]> {
  const { rows } = await sql<{ hashes: string[] }>`
    SELECT attribute_hashes::text[] AS hashes FROM trace_summaries WHERE trace_id = ${traceId} ORDER BY day`.execute(db);
  return rows.map((row) => row.hashes.sort());
}

/** The server's hashes of the texts (sorted as text): what a row must hold. */
async function serverHashes(texts: string[]): Promise<string[]> {
  const { rows } = await sql<{ hash: string }>`
    SELECT hashtextextended(x, 0)::text AS hash FROM unnest(${texts}::text[]) x`.execute(db);
  return rows.map((row) => row.hash).sort();
}

function pairs(prefix: string, count: number): KeyValueJson[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${prefix}.${i}`, value: { stringValue: `v${i}` } }));
}

t.test('a trace row holds the distinct pairs of its spans and resources, merged across flushes', async (t) => {
  const site = (await createSite(db, { name: 'pairs' })).id;
  const traceId = newTraceId();
  const root = newSpanId();
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'deployment.environment', value: { stringValue: 'prod' } },
    ],
    droppedAttributesCount: 0,
  };
  await write(site, [
    spanRow(site, {
      traceId,
      spanId: root,
      startTimeUnixNano: base,
      resource,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
        { key: 'amount', value: { doubleValue: 12.5 } },
        { key: 'cache.hit', value: { boolValue: true } },
        { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
        { key: 'raw', value: { bytesValue: 'AAE=' } },
      ],
    }),
    spanRow(site, {
      traceId,
      parentSpanId: root,
      startTimeUnixNano: base + SECOND,
      resource,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'db.system.name', value: { stringValue: 'postgresql' } },
      ],
    }),
  ]);
  const seven = [
    'http.request.method=GET', 'http.response.status_code=200', 'amount=12.5', 'cache.hit=true',
    'db.system.name=postgresql', 'service.name=checkout', 'deployment.environment=prod',
  ];
  t.strictSame(await storedHashes(traceId), [await serverHashes(seven)], 'seven pairs: the array and the bytes are left out, GET counted once');

  await write(site, [spanRow(site, { traceId, parentSpanId: root, startTimeUnixNano: base + 2n * SECOND, attributes: [{ key: 'user.id', value: { stringValue: 'u-1' } }] })]);
  t.strictSame(await storedHashes(traceId), [await serverHashes([...seven, 'user.id=u-1'])], 'a later flush adds its pair');
  await write(site, [spanRow(site, { traceId, parentSpanId: root, startTimeUnixNano: base + 3n * SECOND, attributes: [{ key: 'amount', value: { doubleValue: 12.5 } }] })]);
  t.equal((await storedHashes(traceId))[0]!.length, 8, 'and one with known pairs only changes nothing');
});

t.test('over the cap a row is not indexed, and the search reads its spans', async (t) => {
  const site = (await createSite(db, { name: 'cap' })).id;
  const wide = newTraceId();
  // 512 pairs of the span and service.name of the resource: one over.
  await write(site, [spanRow(site, { traceId: wide, startTimeUnixNano: base, attributes: pairs('wide', MAX_ATTRIBUTE_HASHES) })]);
  t.strictSame(await storedHashes(wide), [['0']]);

  const merged = newTraceId();
  const root = newSpanId();
  await write(site, [spanRow(site, { traceId: merged, spanId: root, startTimeUnixNano: base + SECOND, attributes: pairs('first', 300) })]);
  t.equal((await storedHashes(merged))[0]!.length, 301, 'under the cap after one flush');
  await write(site, [spanRow(site, { traceId: merged, parentSpanId: root, startTimeUnixNano: base + 2n * SECOND, attributes: pairs('second', 300) })]);
  t.strictSame(await storedHashes(merged), [['0']], '601 pairs after the merge: over');

  const narrow = newTraceId();
  await write(site, [spanRow(site, { traceId: narrow, startTimeUnixNano: base + 3n * SECOND, attributes: [{ key: 'second.7', value: { stringValue: 'v7' } }] })]);
  const found = await searchTraces(db, site, { ...window, attributes: { 'second.7': 'v7' } });
  t.strictSame(found.traces.map((trace) => trace.traceId), [hex(narrow), hex(merged)], 'the indexed trace and the one over the cap');
  const wideFound = await searchTraces(db, site, { ...window, attributes: { 'wide.511': 'v511' } });
  t.strictSame(wideFound.traces.map((trace) => trace.traceId), [hex(wide)]);
});

t.test('rows written before the index ({0}) are read; a hash without a matching span finds nothing', async (t) => {
  const site = (await createSite(db, { name: 'fallback' })).id;
  const old = newTraceId();
  const collided = newTraceId();
  await write(site, [
    spanRow(site, { traceId: old, startTimeUnixNano: base, attributes: [{ key: 'customer.id', value: { stringValue: 'c-1' } }] }),
    spanRow(site, { traceId: collided, startTimeUnixNano: base + SECOND, attributes: [{ key: 'customer.id', value: { stringValue: 'c-2' } }] }),
  ]);
  await sql`UPDATE trace_summaries SET attribute_hashes = '{0}' WHERE trace_id = ${old}`.execute(db);
  // As if 'customer.id=c-1' collided with a pair of this trace.
  await sql`UPDATE trace_summaries SET attribute_hashes = attribute_hashes || hashtextextended('customer.id=c-1', 0) WHERE trace_id = ${collided}`.execute(db);
  const found = await searchTraces(db, site, { ...window, attributes: { 'customer.id': 'c-1' } });
  t.strictSame(found.traces.map((trace) => trace.traceId), [hex(old)]);
  const other = await searchTraces(db, site, { ...window, attributes: { 'customer.id': 'c-2' } });
  t.strictSame(other.traces.map((trace) => trace.traceId), [hex(collided)]);
});

t.test('an attribute only on the second day of a trace finds the trace', async (t) => {
  const site = (await createSite(db, { name: 'second day' })).id;
  const midnight = nanos(new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000));
  const traceId = newTraceId();
  const root = newSpanId();
  await write(site, [spanRow(site, { traceId, spanId: root, startTimeUnixNano: midnight - SECOND, endTimeUnixNano: midnight + 5n * SECOND })]);
  await write(site, [
    spanRow(site, { traceId, parentSpanId: root, startTimeUnixNano: midnight + SECOND, attributes: [{ key: 'job.id', value: { intValue: '42' } }] }),
  ]);
  t.equal((await storedHashes(traceId)).length, 2, 'a row per day');
  const range = { start: new Date(Number((midnight - MINUTE) / MS)), end: new Date(Number(midnight / MS)) };
  const found = await searchTraces(db, site, { ...range, attributes: { 'job.id': '42' } });
  t.strictSame(found.traces.map((trace) => trace.traceId), [hex(traceId)]);
});

t.test('a value too common to list is joined in SQL, alone or with a rare one', async (t) => {
  const site = (await createSite(db, { name: 'common' })).id;
  const acme = { key: 'tenant', value: { stringValue: 'acme' } };
  const rows = Array.from({ length: MAX_LISTED_CANDIDATES + 5 }, (_, i) =>
    spanRow(site, { startTimeUnixNano: base + BigInt(i) * MS, attributes: [acme] }),
  );
  const rare = newTraceId();
  rows.push(spanRow(site, { traceId: rare, serviceName: 'billing', startTimeUnixNano: base - SECOND, attributes: [acme, { key: 'customer.id', value: { stringValue: 'c-7' } }] }));
  await write(site, rows);
  const newest = await searchTraces(db, site, { ...window, attributes: { tenant: 'acme' }, limit: 3 });
  t.strictSame(
    newest.traces.map((trace) => trace.traceId),
    rows.slice(-4, -1).reverse().map((row) => hex(row.traceId)),
    'the three newest',
  );
  t.strictSame((await searchTraces(db, site, { ...window, service: 'billing', attributes: { tenant: 'acme' } })).traces.map((trace) => trace.traceId), [hex(rare)]);
  const both = await searchTraces(db, site, { ...window, attributes: { tenant: 'acme', 'customer.id': 'c-7' } });
  t.strictSame(both.traces.map((trace) => trace.traceId), [hex(rare)], 'the listed rare value and the joined common one');
  const neither = await searchTraces(db, site, { ...window, attributes: { tenant: 'acme', 'customer.id': 'c-8' } });
  t.strictSame(neither.traces, [], 'no candidate for the rare one: nothing');
});
