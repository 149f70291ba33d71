// Covers the RED rollups kept at ingest (store/traces/red-rollups.ts) and
// their backfill (store/traces/red-backfill.ts) over a real database: one
// minute and one hour row per key per flush, rows merged across flushes,
// quantiles of the merged sketch within the bound of exact ones, the SQL
// bucket function equal to the TypeScript one at every bucket edge, backfill
// equal to ingest (and idempotent, and counting a retried span once), and the
// column spec against the catalog.
import { sql } from 'kysely';
import t from 'tap';
import { redRollupColumns } from '../src/db/tables/red-rollups.ts';
import { bucketOf, bucketUpperBoundNs, LatencySketch, MAX_BUCKET, RELATIVE_ERROR } from '../src/rollups/latency-sketch.ts';
import { backfillRedRollups } from '../src/store/traces/red-backfill.ts';
import { HOUR, MINUTE, MS, nanos, newSpanId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

// Two hours ago, at the start of a minute that is not the start of an hour.
const hourStart = (Math.floor(Date.now() / 3_600_000) - 2) * 3_600_000;
const base = nanos(new Date(hourStart + 7 * 60_000));
const minuteIso = (offsetMinutes: number) => new Date(hourStart + (7 + offsetMinutes) * 60_000).toISOString();

interface RollupRow {
  site_id: string;
  time: Date;
  service_name: string;
  span_name: string;
  span_kind: number;
  is_root: boolean;
  span_count: string;
  error_count: string;
  duration_sum_ns: string;
  latency_buckets: number[];
  latency_counts: string[];
}

async function rows(table: 'red_minutes' | 'red_hours', siteId = siteA): Promise<RollupRow[]> {
  const { rows } = await sql<RollupRow>`
    SELECT * FROM ${sql.table(table)} WHERE site_id = ${siteId}
    ORDER BY time, service_name, span_name, span_kind, is_root`.execute(db);
  return rows;
}

function sketchOf(durations: readonly bigint[]): { latency_buckets: number[]; latency_counts: string[] } {
  const sketch = new LatencySketch();
  for (const duration of durations) sketch.add(duration);
  const { buckets, counts } = sketch.toArrays();
  return { latency_buckets: buckets, latency_counts: counts.map(String) };
}

t.test('the rollup column spec matches both tables in the catalog', async (t) => {
  for (const table of ['red_minutes', 'red_hours']) {
    const { rows } = await sql<{ column_name: string; udt_name: string }>`
      SELECT column_name, udt_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`.execute(db);
    t.same(redRollupColumns.map((column) => [column.name, column.type]), rows.map((row) => [row.column_name, row.udt_name]), table);
  }
});

t.test('red_latency_bucket (SQL) equals bucketOf (TypeScript) at every bucket edge', async (t) => {
  const values = new Set<bigint>([0n, -1n, -(2n ** 63n), 1n, 2n, 3n, 2n ** 63n - 1n, 2n ** 63n - 2n]);
  for (let k = 0; k < MAX_BUCKET; k++) {
    const bound = bucketUpperBoundNs(k);
    for (const d of [bound - 1n, bound, bound + 1n]) if (d <= 2n ** 63n - 1n) values.add(d);
  }
  for (let n = 0n; n < 63n; n++) for (const d of [2n ** n - 1n, 2n ** n, 2n ** n + 1n]) values.add(d);
  let seed = 7n;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
    values.add(seed >> BigInt(1 + (i % 63)));
  }
  const list = [...values];
  const { rows } = await sql<{ d: string; bucket: number }>`
    SELECT d::text, red_latency_bucket(d) AS bucket FROM unnest(${list.map(String)}::bigint[]) AS d`.execute(db);
  const mismatches = rows.filter((row) => row.bucket !== bucketOf(BigInt(row.d)));
  t.equal(rows.length, list.length);
  t.strictSame(mismatches, [], `${list.length} durations, none in another bucket`);
});

t.test('red_latency_merge adds two sketches bucket by bucket, in place or merging', async (t) => {
  const cases: Array<[number[], number[], number[], number[]]> = [
    [[], [], [], []],
    [[], [], [3, 5], [1, 2]],
    [[3, 5], [1, 2], [], []],
    [[-1, 3, 5, 9], [1, 2, 3, 4], [3, 9], [10, 20]],
    [[-1, 3, 5, 9], [1, 2, 3, 4], [-1, 4, 9, 12], [5, 6, 7, 8]],
    [[10, 20], [1, 1], [1, 2, 30], [1, 1, 1]],
    [[0, 1008], [2, 3], [0, 1008], [2 ** 40, 1]],
  ];
  for (const [aBuckets, aCounts, bBuckets, bCounts] of cases) {
    const { rows } = await sql<{ buckets: number[]; counts: string[] }>`
      SELECT buckets, counts FROM red_latency_merge(${aBuckets}::integer[], ${aCounts.map(String)}::bigint[],
                                                    ${bBuckets}::integer[], ${bCounts.map(String)}::bigint[])`.execute(db);
    const expected = LatencySketch.fromArrays({ buckets: aBuckets, counts: aCounts }).merge(LatencySketch.fromArrays({ buckets: bBuckets, counts: bCounts })).toArrays();
    t.strictSame({ buckets: rows[0]!.buckets, counts: rows[0]!.counts.map(Number) }, expected, JSON.stringify([aBuckets, bBuckets]));
  }
});

t.test('one flush: a row per (minute, service, span name, kind, root) and per hour', async (t) => {
  await write(siteA, [
    spanRow(siteA, { serviceName: 'api', name: 'GET /a', kind: 2, startTimeUnixNano: base, endTimeUnixNano: base + 10n * MS }),
    spanRow(siteA, { serviceName: 'api', name: 'GET /a', kind: 2, statusCode: 2, startTimeUnixNano: base + SECOND, endTimeUnixNano: base + SECOND + 30n * MS }),
    spanRow(siteA, { serviceName: 'api', name: 'GET /a', kind: 2, parentSpanId: newSpanId(), startTimeUnixNano: base + 2n * SECOND, endTimeUnixNano: base + 2n * SECOND + 5n * MS }),
    spanRow(siteA, { serviceName: 'api', name: 'GET /a', kind: 2, startTimeUnixNano: base + MINUTE, endTimeUnixNano: base + MINUTE }),
    spanRow(siteA, { serviceName: 'db', name: 'SELECT', kind: 3, parentSpanId: newSpanId(), startTimeUnixNano: base, endTimeUnixNano: base - 1n }),
  ]);
  await write(siteB, [spanRow(siteB, { serviceName: 'other', startTimeUnixNano: base })]);
  const site = siteA;
  t.strictSame(await rows('red_minutes'), [
    { site_id: site, time: new Date(minuteIso(0)), service_name: 'api', span_name: 'GET /a', span_kind: 2, is_root: false, span_count: '1', error_count: '0', duration_sum_ns: String(5n * MS), ...sketchOf([5n * MS]) },
    { site_id: site, time: new Date(minuteIso(0)), service_name: 'api', span_name: 'GET /a', span_kind: 2, is_root: true, span_count: '2', error_count: '1', duration_sum_ns: String(40n * MS), ...sketchOf([10n * MS, 30n * MS]) },
    { site_id: site, time: new Date(minuteIso(0)), service_name: 'db', span_name: 'SELECT', span_kind: 3, is_root: false, span_count: '1', error_count: '0', duration_sum_ns: '-1', ...sketchOf([-1n]) },
    { site_id: site, time: new Date(minuteIso(1)), service_name: 'api', span_name: 'GET /a', span_kind: 2, is_root: true, span_count: '1', error_count: '0', duration_sum_ns: '0', ...sketchOf([0n]) },
  ]);
  const hour = new Date(hourStart);
  t.strictSame(await rows('red_hours'), [
    { site_id: site, time: hour, service_name: 'api', span_name: 'GET /a', span_kind: 2, is_root: false, span_count: '1', error_count: '0', duration_sum_ns: String(5n * MS), ...sketchOf([5n * MS]) },
    { site_id: site, time: hour, service_name: 'api', span_name: 'GET /a', span_kind: 2, is_root: true, span_count: '3', error_count: '1', duration_sum_ns: String(40n * MS), ...sketchOf([10n * MS, 30n * MS, 0n]) },
    { site_id: site, time: hour, service_name: 'db', span_name: 'SELECT', span_kind: 3, is_root: false, span_count: '1', error_count: '0', duration_sum_ns: '-1', ...sketchOf([-1n]) },
  ]);
  t.equal((await rows('red_minutes', siteB)).length, 1, 'the other site has its own row');
});

t.test('later flushes merge into the same rows; quantiles stay within the bound', async (t) => {
  const durations: bigint[] = [];
  let seed = 12345;
  for (let flush = 0; flush < 8; flush++) {
    const batch = [];
    for (let i = 0; i < 250; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const duration = BigInt(Math.floor(Math.exp(10 + (seed / 2 ** 31) * 12)));
      durations.push(duration);
      const start = base + 30n * MINUTE + BigInt(i) * MS;
      batch.push(spanRow(siteA, { serviceName: 'merge', name: 'op', kind: 5, statusCode: i % 10 === 0 ? 2 : 0, startTimeUnixNano: start, endTimeUnixNano: start + duration }));
    }
    await write(siteA, batch);
  }
  const minute = (await rows('red_minutes')).filter((row) => row.service_name === 'merge');
  t.equal(minute.length, 1, 'one row for eight flushes');
  t.equal(minute[0]!.span_count, '2000');
  t.equal(minute[0]!.error_count, '200');
  t.equal(minute[0]!.duration_sum_ns, String(durations.reduce((a, b) => a + b, 0n)));
  t.strictSame({ latency_buckets: minute[0]!.latency_buckets, latency_counts: minute[0]!.latency_counts }, sketchOf(durations), 'the merged sketch is the sketch of all');
  const sketch = LatencySketch.fromArrays({ buckets: minute[0]!.latency_buckets, counts: minute[0]!.latency_counts.map(Number) });
  const sorted = durations.map(Number).sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
    const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
    const estimate = sketch.quantileNs(q)!;
    t.ok(Math.abs(estimate - exact) / exact <= RELATIVE_ERROR, `q=${q}: ${estimate} vs exact ${exact}`);
  }
});

t.test('backfill rebuilds exactly the rows ingest made, idempotently, counting a retried span once', async (t) => {
  // Spans across an hour boundary and in a second hour, and a root/non-root mix.
  const later = base + HOUR;
  await write(siteA, [
    spanRow(siteA, { serviceName: 'api', name: 'GET /b', kind: 2, startTimeUnixNano: base + 52n * MINUTE + 59n * SECOND, endTimeUnixNano: base + 53n * MINUTE + SECOND }),
    spanRow(siteA, { serviceName: 'api', name: 'GET /b', kind: 2, statusCode: 2, startTimeUnixNano: base + 53n * MINUTE, endTimeUnixNano: base + 53n * MINUTE + 2n ** 40n }),
    spanRow(siteA, { serviceName: 'worker', name: 'job', kind: 1, startTimeUnixNano: later, endTimeUnixNano: later + 1n }),
    spanRow(siteA, { serviceName: 'worker', name: 'job', kind: 1, startTimeUnixNano: later + 5n, endTimeUnixNano: later + 2n ** 32n + 5n }),
  ]);
  const minutes = await rows('red_minutes');
  const hours = await rows('red_hours');
  const otherSite = await rows('red_minutes', siteB);
  t.ok(hours.some((row) => row.time.getTime() === hourStart + 3_600_000), 'two hours of rows');

  const range = { start: new Date(hourStart + 5 * 60_000), end: new Date(hourStart + 2 * 3_600_000 - 1) };
  const result = await backfillRedRollups(db, range, siteA);
  t.strictSame(result.range, { start: new Date(hourStart), end: new Date(hourStart + 2 * 3_600_000) }, 'widened to whole hours');
  t.equal(result.minuteRows, minutes.length);
  t.equal(result.hourRows, hours.length);
  t.strictSame(await rows('red_minutes'), minutes, 'minute rows as ingest made them');
  t.strictSame(await rows('red_hours'), hours, 'hour rows as ingest made them');
  t.strictSame(await rows('red_minutes', siteB), otherSite, 'another site untouched');

  await Promise.all([backfillRedRollups(db, range, siteA), backfillRedRollups(db, range)]);
  t.strictSame(await rows('red_minutes'), minutes, 'again, twice at once: the same');
  t.strictSame(await rows('red_minutes', siteB), otherSite, 'and all sites');

  // An exporter's retry stores a span twice: ingest counts it twice, backfill once.
  const retried = spanRow(siteA, { serviceName: 'retry', name: 'op', startTimeUnixNano: base + 10n * MINUTE });
  await write(siteA, [retried]);
  await write(siteA, [retried]);
  const counted = async () => (await rows('red_minutes')).filter((row) => row.service_name === 'retry').map((row) => row.span_count);
  t.strictSame(await counted(), ['2'], 'ingest: at least once');
  await backfillRedRollups(db, range, siteA);
  t.strictSame(await counted(), ['1'], 'backfill: once');
});

t.test('names PostgreSQL cannot hold are stored as spans store them, and two that store alike are one row', async (t) => {
  await write(siteB, [
    // Not roots: trace_summaries keeps a root's names as they came.
    spanRow(siteB, { serviceName: 'nul\u0000svc', name: 'op\ud800', parentSpanId: newSpanId(), startTimeUnixNano: base }),
    spanRow(siteB, { serviceName: 'nul\uFFFDsvc', name: 'op\uFFFD', parentSpanId: newSpanId(), startTimeUnixNano: base }),
  ]);
  const stored = (await rows('red_minutes', siteB)).filter((row) => row.service_name.startsWith('nul'));
  t.strictSame(stored.map((row) => [row.service_name, row.span_name, row.span_count]), [['nul\uFFFDsvc', 'op\uFFFD', '2']]);
});
