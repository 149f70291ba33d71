// Dropped events counted in memory per site, UTC day and reason and added to
// analytics_drops by flush/stop (the partition of a new day made first); a
// write that fails keeps the counts for the next one and never throws.
import { sql } from 'kysely';
import t from 'tap';
import { DropCounts } from '../src/store/drop-counts.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const at = (iso: string): number => Date.parse(iso);

t.test('counts are added up per site, day and reason', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  const drops = new DropCounts(db);
  const stored = async (): Promise<Array<{ site_id: string; day: string; reason: string; count: string }>> =>
    (
      await sql<{ site_id: string; day: string; reason: string; count: string }>`
        SELECT site_id, to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, reason, count::text AS count
        FROM analytics_drops ORDER BY site_id, day, reason`.execute(db)
    ).rows;

  for (let i = 0; i < 3; i++) drops.count('5', 'bot', at('2026-11-29T23:59:00Z'));
  drops.count('5', 'bot', at('2026-11-30T00:00:00Z'));
  drops.count('5', 'dnt', at('2026-11-30T10:00:00Z'));
  drops.count('6', 'excluded_ip', at('2026-11-30T10:00:00Z'));
  drops.count('not-a-site', 'bot', at('2026-11-30T10:00:00Z'));
  await drops.flush();
  t.same(await stored(), [
    { site_id: '5', day: '2026-11-29', reason: 'bot', count: '3' },
    { site_id: '5', day: '2026-11-30', reason: 'bot', count: '1' },
    { site_id: '5', day: '2026-11-30', reason: 'dnt', count: '1' },
    { site_id: '6', day: '2026-11-30', reason: 'excluded_ip', count: '1' },
  ]);
  drops.count('5', 'bot', at('2026-11-30T11:00:00Z'));
  drops.count('5', 'bot', at('2026-11-30T11:00:00Z'));
  await drops.stop();
  t.equal((await stored())[1]?.count, '3', 'added to the stored count at stop');
});

t.test('a failed write keeps the counts and does not throw', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  const drops = new DropCounts(db);
  drops.count('7', 'gpc', at('2026-11-30T10:00:00Z'));
  await sql`ALTER TABLE analytics_drops RENAME TO analytics_drops_away`.execute(db);
  await drops.flush();
  drops.count('7', 'gpc', at('2026-11-30T10:05:00Z'));
  await sql`ALTER TABLE analytics_drops_away RENAME TO analytics_drops`.execute(db);
  await drops.flush();
  const { rows } = await sql<{ count: string }>`SELECT count::text AS count FROM analytics_drops WHERE site_id = 7`.execute(db);
  t.same(rows, [{ count: '2' }]);
});
