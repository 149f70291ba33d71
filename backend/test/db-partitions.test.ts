// Daily partitions: names and UTC bounds, idempotent and concurrent creation,
// rows routed by UTC day whatever the session time zone, listing, and
// retention that drops whole partitions (only the ones this module named).
import { sql } from 'kysely';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { dropPartitionsBefore, ensurePartitions, listPartitions, partitionName, utcDayNumber } from '../src/db/partitions.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;

async function bounds(name: string): Promise<string> {
  const result = await sql<{ bound: string }>`SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c WHERE c.relname = ${name}`.execute(db);
  return result.rows[0]?.bound ?? '';
}

t.test('names a partition by its UTC day', async (t) => {
  t.equal(partitionName('spans', utcDayNumber(new Date('2026-11-23T23:59:59.999Z'))), 'spans_p20261123');
  t.equal(partitionName('trace_summaries', utcDayNumber(new Date('2026-11-24T00:00:00Z'))), 'trace_summaries_p20261124');
  t.equal(partitionName('spans', utcDayNumber(new Date('1970-01-01T00:00:00Z'))), 'spans_p19700101');
});

t.test('creates each missing day once, with UTC midnight bounds', async (t) => {
  // One connection, so the session time zone applies: bounds must not depend on it.
  await db.connection().execute(async (conn) => {
    await sql`SET TIME ZONE 'America/New_York'`.execute(conn);
    const created = await ensurePartitions(conn, 'spans', new Date('2026-03-07T15:00:00Z'), new Date('2026-03-09T01:00:00Z'));
    t.same(created, ['spans_p20260307', 'spans_p20260308', 'spans_p20260309']);
    await sql`SET TIME ZONE 'UTC'`.execute(conn);
  });
  t.equal(await bounds('spans_p20260308'), "FOR VALUES FROM ('2026-03-08 00:00:00+00') TO ('2026-03-09 00:00:00+00')");
  t.same(await ensurePartitions(db, 'spans', new Date('2026-03-07T00:00:00Z'), new Date('2026-03-10T00:00:00Z')), ['spans_p20260310'], 'only the missing day');
  t.same(await ensurePartitions(db, 'spans', new Date('2026-03-07T00:00:00Z'), new Date('2026-03-10T00:00:00Z')), [], 'idempotent');
});

t.test('rows land in the partition of their UTC day', async (t) => {
  await ensurePartitions(db, 'trace_summaries', new Date('2026-05-01T00:00:00Z'), new Date('2026-05-02T00:00:00Z'));
  await db.connection().execute(async (conn) => {
    await sql`SET TIME ZONE 'Asia/Tokyo'`.execute(conn);
    const insert = (day: string) => sql`
      INSERT INTO trace_summaries (site_id, trace_id, day, start_time, start_time_unix_nano, end_time_unix_nano, span_count, error_count)
      VALUES (1, ${Buffer.from(day)}, ${day}::timestamptz, ${day}::timestamptz, 0, 0, 1, 0)
      RETURNING tableoid::regclass::text AS partition`.execute(conn);
    try {
      t.same((await insert('2026-05-01T23:59:59.999999Z')).rows, [{ partition: 'trace_summaries_p20260501' }]);
      t.same((await insert('2026-05-02T00:00:00Z')).rows, [{ partition: 'trace_summaries_p20260502' }]);
      await t.rejects(insert('2026-05-03T00:00:00Z'), { code: '23514' }, 'a day without partition is refused, not lost');
    } finally {
      await sql`SET TIME ZONE 'UTC'`.execute(conn);
    }
  });
});

t.test('concurrent creation from several processes succeeds once', async (t) => {
  const handles = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 1 })));
  t.teardown(() => Promise.all(handles.map((other) => other.close())));
  const created = await Promise.all(handles.map((other) => ensurePartitions(other.db, 'spans', new Date('2027-01-01T00:00:00Z'), new Date('2027-01-10T00:00:00Z'))));
  t.equal(created.flat().length, 10, 'each of the 10 days created by exactly one');
  t.equal(new Set(created.flat()).size, 10);
});

t.test('lists partitions oldest first and drops only whole days before the cutoff', async (t) => {
  await ensurePartitions(db, 'trace_summaries', new Date('2025-12-30T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
  // A partition someone made by hand, with another name, is never touched.
  await sql`CREATE TABLE trace_summaries_manual PARTITION OF trace_summaries FOR VALUES FROM ('2020-01-01') TO ('2020-01-02')`.execute(db);
  const before = await listPartitions(db, 'trace_summaries');
  t.same(
    before.map((p) => p.name),
    ['trace_summaries_p20251230', 'trace_summaries_p20251231', 'trace_summaries_p20260101', 'trace_summaries_p20260102', 'trace_summaries_p20260501', 'trace_summaries_p20260502'],
  );
  t.same(before[0]?.day, new Date('2025-12-30T00:00:00Z'));

  const dropped = await dropPartitionsBefore(db, 'trace_summaries', new Date('2026-01-01T18:00:00Z'));
  t.same(dropped, ['trace_summaries_p20251230', 'trace_summaries_p20251231']);
  t.same(
    (await listPartitions(db, 'trace_summaries')).map((p) => p.name),
    ['trace_summaries_p20260101', 'trace_summaries_p20260102', 'trace_summaries_p20260501', 'trace_summaries_p20260502'],
  );
  const manual = await sql<{ n: string }>`SELECT count(*)::text AS n FROM pg_class WHERE relname = 'trace_summaries_manual'`.execute(db);
  t.equal(manual.rows[0]?.n, '1', 'the hand-made partition stays');
  t.same(await dropPartitionsBefore(db, 'trace_summaries', new Date('2026-01-01T18:00:00Z')), [], 'idempotent');
});
