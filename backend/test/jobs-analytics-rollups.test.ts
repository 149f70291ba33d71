// The analytics-rollups job (jobs/analytics-rollups.ts) run by several
// processes at once, each with its own pool on one database: settled marks
// are rolled up once into hour and day rows (no quarter rows) equal to the
// quarters computed from raw events and sessions and merged (and to what one
// process alone leaves), every handled mark is cleared, marks younger than
// the settle time wait, a late event marking its quarter again fixes its hour
// and its day, rollupAnalyticsNow drains one site's marks, and the job
// timers of several pools side by side log no failure. A flush that marks a
// quarter again while the job computes it (its events unseen) keeps its mark.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { openDatabase, type DatabaseHandle } from '../src/db/connect.ts';
import type { Database } from '../src/db/database.ts';
import { listPartitions } from '../src/db/partitions.ts';
import { rollupAnalyticsNow, runAnalyticsRollups, startAnalyticsRollups } from '../src/jobs/analytics-rollups.ts';
import { computeQuarterRollups } from '../src/rollups/analytics-quarter-rollups.ts';
import { bucketStart, DAY_GRAIN, HOUR_GRAIN, mergeRollupRows, rollupRowFromStored, type AnalyticsRollupRow } from '../src/rollups/analytics-rollup-rows.ts';
import { createSite } from '../src/store/sites.ts';
import { insertEvents, makeRawPartitions, rollupNumbers, shopMorning, upsertSessions } from './helpers/analytics-raw-rows.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const logger = testLogger();
const PROCESSES = 4;
const q1 = new Date('2026-11-29T10:00:00Z');
const q2 = new Date('2026-11-29T10:15:00Z');
const q3 = new Date('2026-11-29T11:00:00Z');
const nextDay = new Date('2026-11-30T09:45:00Z');

async function mark(db: Kysely<Database>, siteId: string, buckets: readonly Date[], agoMs = 60_000): Promise<void> {
  for (const bucket of buckets) {
    await sql`
      INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at) VALUES (${siteId}, ${bucket.toISOString()}, now() - ${`${agoMs} milliseconds`}::interval)
      ON CONFLICT (site_id, bucket) DO UPDATE SET marked_at = excluded.marked_at`.execute(db);
  }
}

/** A row as comparable values: the numbers, and the sketches' bytes. */
function comparable(row: AnalyticsRollupRow): unknown[] {
  return [row.grain, row.bucket.toISOString(), ...rollupNumbers(row), row.visitors.serialize().toString('hex'), row.visitSketch?.serialize().toString('hex') ?? null];
}

async function setUp(t: Test) {
  const { url, handle } = await createTestDatabase(t);
  const db = handle.db;
  await makeRawPartitions(db, ['2026-11-29', '2026-11-30']);
  const shop = (await createSite(db, { name: 'shop' })).id;
  const other = (await createSite(db, { name: 'other' })).id;
  const morning = shopMorning();
  await insertEvents(db, shop, morning.events);
  await upsertSessions(db, shop, morning.sessions);
  // The next morning: visitor 101 once more.
  await insertEvents(db, shop, [{ time: '2026-11-30T09:50:00Z', name: 'pageview', visitorId: 101n, sessionId: 1010n, pathname: '/' }]);
  await upsertSessions(db, shop, [
    { startedAt: '2026-11-30T09:50:00Z', lastSeenAt: '2026-11-30T09:50:00Z', sessionId: 1010n, visitorId: 101n, entryPage: '/', exitPage: '/', pageviews: 1, events: 1, engaged: false },
  ]);
  await insertEvents(db, other, [{ time: '2026-11-29T10:03:00Z', name: 'pageview', visitorId: 7n, sessionId: 9001n, pathname: '/' }]);
  await upsertSessions(db, other, [
    { startedAt: '2026-11-29T10:03:00Z', lastSeenAt: '2026-11-29T10:03:00Z', sessionId: 9001n, visitorId: 7n, entryPage: '/', exitPage: '/', pageviews: 1, events: 1, engaged: false },
  ]);
  const handles: DatabaseHandle[] = await Promise.all(Array.from({ length: PROCESSES }, () => openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 2 })));
  t.teardown(() => Promise.all(handles.map((h) => h.close())));

  const stored = async (siteId: string) =>
    (
      await db
        .selectFrom('analytics_rollups')
        .select(['bucket', 'grain', 'dimension', 'value', 'visitors', 'visit_sketch', 'visits', 'pageviews', 'events', 'bounces', 'duration_ms'])
        .where('site_id', '=', siteId)
        .orderBy('grain')
        .orderBy('bucket')
        .orderBy(sql`dimension COLLATE "C"`)
        .orderBy(sql`value COLLATE "C"`)
        .execute()
    ).map((row) => comparable(rollupRowFromStored(row)));
  /**
   * What the rollups must hold: the hours of the marked quarters and their
   * days, merged from every quarter of those hours computed from raw rows
   * (the job computes hours straight from raw rows: another path).
   */
  const expected = async (siteId: string, marked: readonly Date[]) => {
    const hourStarts = [...new Set(marked.map((quarter) => bucketStart(quarter, HOUR_GRAIN).getTime()))];
    const quarters = hourStarts.flatMap((hour) => [0, 1, 2, 3].map((i) => new Date(hour + i * 900_000)));
    const quarterRows = await computeQuarterRollups(db, siteId, quarters);
    const hours = mergeRollupRows(quarterRows, HOUR_GRAIN, (bucket) => bucketStart(bucket, HOUR_GRAIN));
    const days = mergeRollupRows(quarterRows, DAY_GRAIN, (bucket) => bucketStart(bucket, DAY_GRAIN));
    return [...hours, ...days].map(comparable);
  };
  const marks = async () => (await sql<{ site_id: string; bucket: Date }>`SELECT site_id, bucket FROM analytics_dirty_buckets ORDER BY site_id, bucket`.execute(db)).rows;
  return { url, db, handles, shop, other, stored, expected, marks };
}

t.test('several processes at once: the rows of the raw data, once; marks cleared', async (t) => {
  const { db, handles, shop, other, stored, expected, marks } = await setUp(t);
  t.same(await listPartitions(db, 'analytics_rollups'), [], 'no rollup partitions yet');
  await mark(db, shop, [q1, q2, q3, nextDay]);
  await mark(db, other, [q1]);

  const results = await Promise.all(handles.map((h) => runAnalyticsRollups({ db: h.db, batchBuckets: 2 })));
  // Processes that found the lock taken stood aside; another may finish the rest on its next run.
  for (let round = 0; round < 3 && (await marks()).length > 0; round++) await Promise.all(handles.map((h) => runAnalyticsRollups({ db: h.db })));
  t.ok(results.some((result) => result.ran && result.buckets > 0), 'a process rolled up');
  t.same(await marks(), [], 'every handled mark cleared');
  t.same(
    (await listPartitions(db, 'analytics_rollups')).map((partition) => partition.name),
    ['analytics_rollups_p20261129', 'analytics_rollups_p20261130'],
  );
  const shopRows = await stored(shop);
  t.strictSame(shopRows, await expected(shop, [q1, q2, q3, nextDay]), 'hours and days: the merges of quarters from raw rows');
  t.strictSame(await stored(other), await expected(other, [q1]), "the other site's rows");
  // Spot checks by hand: the day of the 29th and its 10:00 hour.
  const day = shopRows.find((row) => row[0] === DAY_GRAIN && row[1] === '2026-11-29T00:00:00.000Z' && row[2] === '');
  t.strictSame(day?.slice(2, 11), ['', '', 3, null, 4, 6, 9, 1, 570_750]);
  const hour = shopRows.find((row) => row[0] === HOUR_GRAIN && row[1] === '2026-11-29T10:00:00.000Z' && row[2] === '');
  t.strictSame(hour?.slice(2, 11), ['', '', 2, null, 3, 5, 6, 1, 510_750]);

  // Everything marked again: rounds of concurrent runs replace rows, never add to them.
  for (let round = 0; round < 3; round++) {
    await mark(db, shop, [q1, q2, q3, nextDay]);
    await Promise.all(handles.map((h) => runAnalyticsRollups({ db: h.db })));
    while ((await marks()).length > 0) await runAnalyticsRollups({ db });
  }
  t.strictSame(await stored(shop), shopRows, 'the same rows after reruns');

  // What one process alone leaves.
  await db.deleteFrom('analytics_rollups').execute();
  await mark(db, shop, [q1, q2, q3, nextDay]);
  const alone = await runAnalyticsRollups({ db });
  t.same([alone.ran, alone.buckets], [true, 4]);
  t.strictSame(await stored(shop), shopRows, 'the same rows as a run alone');
});

t.test('a late event marks its quarter again and fixes its hour and its day', async (t) => {
  const { db, shop, stored, expected, marks } = await setUp(t);
  await mark(db, shop, [q1, q2, q3]);
  await runAnalyticsRollups({ db });
  t.same(await marks(), []);
  // Visitor 104 arrives at 10:25, stored after the rollup ran.
  await insertEvents(db, shop, [{ time: '2026-11-29T10:25:00Z', name: 'pageview', visitorId: 104n, sessionId: 1005n, pathname: '/blog' }]);
  await upsertSessions(db, shop, [
    { startedAt: '2026-11-29T10:25:00Z', lastSeenAt: '2026-11-29T10:25:00Z', sessionId: 1005n, visitorId: 104n, entryPage: '/blog', exitPage: '/blog', pageviews: 1, events: 1, engaged: false },
  ]);
  await mark(db, shop, [q2]);
  const result = await runAnalyticsRollups({ db });
  t.same([result.batches, result.buckets], [1, 1], 'only the quarter marked again');
  t.strictSame(await stored(shop), await expected(shop, [q1, q2, q3]));
  const rows = await stored(shop);
  const total = (grain: number, bucket: string) => rows.find((row) => row[0] === grain && row[1] === bucket && row[2] === '')?.slice(2, 11);
  t.notOk(rows.some((row) => row[0] === 15), 'no quarter rows stored');
  t.strictSame(total(60, '2026-11-29T10:00:00.000Z'), ['', '', 3, null, 4, 6, 7, 2, 510_750], 'hour');
  t.strictSame(total(1440, '2026-11-29T00:00:00.000Z'), ['', '', 4, null, 5, 7, 10, 2, 570_750], 'day');
});

t.test('marks wait until settled; rollupAnalyticsNow takes them at once, of one site', async (t) => {
  const { db, shop, other, stored, expected, marks } = await setUp(t);
  await mark(db, shop, [q1], 0);
  await mark(db, other, [q1], 0);
  const early = await runAnalyticsRollups({ db });
  t.same([early.ran, early.batches], [true, 0], 'a fresh mark waits for the settle time');
  t.equal((await marks()).length, 2);
  t.same((await runAnalyticsRollups({ db, settleMs: 0 })).buckets, 2, 'settled at once when asked');

  await mark(db, shop, [q2, q3], 0);
  await mark(db, other, [q1], 0);
  const now = await rollupAnalyticsNow(db, shop);
  t.same([now.ran, now.buckets], [true, 2]);
  t.same((await marks()).map((row) => row.site_id), [other], "the other site's mark stays");
  t.strictSame(await stored(shop), await expected(shop, [q1, q2, q3]));
});

t.test('the job timers of several processes side by side: no failure logged, the same rows', async (t) => {
  const { db, handles, shop, stored, expected, marks } = await setUp(t);
  await mark(db, shop, [q1, q2, q3, nextDay]);
  const failures: string[] = [];
  const recording = pino({ level: 'error' }, { write: (line: string) => void failures.push(line) });
  const jobs = handles.map((h) => startAnalyticsRollups({ db: h.db, logger: recording, intervalMs: 20, batchBuckets: 1 }));
  t.teardown(() => Promise.all(jobs.map((job) => job.stop())));
  await Promise.all(jobs.map((job) => job.ready));
  for (let waited = 0; (await marks()).length > 0 && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
  await Promise.all(jobs.map((job) => job.stop()));
  await Promise.all(jobs.map((job) => job.stop()));
  t.same(failures, [], 'no failure logged');
  t.same(await marks(), []);
  t.strictSame(await stored(shop), await expected(shop, [q1, q2, q3, nextDay]));
});

t.test('a flush marking a quarter while the job computes it keeps its mark, though it began before the job read the marks', async (t) => {
  const { url, db, shop, stored, expected, marks } = await setUp(t);
  await mark(db, shop, [q1]);
  // A flush: a late event of 10:10 and its mark, in one transaction, not committed yet.
  const flush = new pg.Client({ connectionString: url });
  flush.on('error', () => undefined);
  await flush.connect();
  t.teardown(() => flush.end());
  await flush.query('BEGIN');
  await flush.query(
    `INSERT INTO events (site_id, time, time_ns, event_id, name, session_id, visitor_id, hostname, pathname, query, title, props, origin)
     VALUES ($1, '2026-11-29T10:10:00Z', 1795947000000000000, '\\x01', 'pageview', 1006, 105, 'shop.example', '/late', '', '', '{}', 'browser')`,
    [shop],
  );
  await flush.query(`UPDATE analytics_dirty_buckets SET marked_at = now() WHERE site_id = $1`, [shop]);

  // The job reads the mark as committed (a minute old), computes without the late event, then waits on the flush's row lock to clear it.
  const run = runAnalyticsRollups({ db });
  for (let waited = 0; waited < 400; waited++) {
    const { rows } = await sql<{ waiting: number }>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM analytics_dirty_buckets%'`.execute(db);
    if (rows[0]!.waiting > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await flush.query('COMMIT');
  t.same((await run).buckets, 1);
  t.same(
    (await marks()).map((row) => row.bucket.toISOString()),
    [q1.toISOString()],
    'the mark stays: its marked_at (the flush began before the job read the marks) is not the one read',
  );
  const hourTotal = async () => (await stored(shop)).find((row) => row[0] === HOUR_GRAIN && row[2] === '')?.slice(2, 11);
  t.strictSame(await hourTotal(), ['', '', 2, null, 3, 5, 6, 1, 510_750], 'the late pageview is not in the rows yet');
  await runAnalyticsRollups({ db, settleMs: 0 });
  t.same(await marks(), []);
  t.strictSame(await hourTotal(), ['', '', 3, null, 3, 6, 7, 1, 510_750], 'the next run counts visitor 105 and the pageview');
  t.strictSame(await stored(shop), await expected(shop, [q1]));
});
