// The visitor hash's daily salts: made once per UTC day by whichever process
// asks first (two sources agree), rotated at midnight with the day before's
// salt still given as the previous one, and deleted by the rotation job once
// 48 hours have passed since their day began.
import { sql } from 'kysely';
import t from 'tap';
import { runSaltRotation } from '../src/jobs/salt-rotation.ts';
import { SALT_BYTES, VisitorSalts } from '../src/store/visitor-salts.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const at = (iso: string): number => Date.parse(iso);

t.test('one salt per day, shared by every process; the previous day’s consulted after midnight', async (t) => {
  const { handle } = await createTestDatabase(t);
  const a = new VisitorSalts(handle.db);
  const b = new VisitorSalts(handle.db);

  const [fromA, fromB] = await Promise.all([a.salts(at('2026-11-29T23:59:00Z')), b.salts(at('2026-11-29T23:59:30Z'))]);
  t.equal(fromA.current.length, SALT_BYTES);
  t.ok(fromA.current.equals(fromB.current), 'two processes asking at once get the same salt');
  t.equal(fromA.previous, null, 'no salt of the day before exists: none is made for it');

  const afterMidnight = await a.salts(at('2026-11-30T00:00:01Z'));
  t.notOk(afterMidnight.current.equals(fromA.current), 'a new salt at UTC midnight');
  t.ok(afterMidnight.previous?.equals(fromA.current), "the day before's salt is the previous one");
  const elsewhere = await b.salts(at('2026-11-30T12:00:00Z'));
  t.ok(elsewhere.current.equals(afterMidnight.current));
  t.ok(elsewhere.previous?.equals(fromA.current));

  const { rows } = await sql<{ day: string }>`SELECT day::text AS day FROM visitor_salts ORDER BY day`.execute(handle.db);
  t.same(
    rows.map((row) => row.day),
    ['2026-11-29', '2026-11-30'],
  );
});

t.test('the rotation job makes today’s salt and deletes salts 48 hours after their day began', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  const days = async (): Promise<string[]> =>
    (await sql<{ day: string }>`SELECT day::text AS day FROM visitor_salts ORDER BY day`.execute(db)).rows.map((row) => row.day);

  t.same(await runSaltRotation({ db, now: () => at('2026-11-28T10:00:00Z') }), { ran: true, deleted: [] });
  t.same(await runSaltRotation({ db, now: () => at('2026-11-29T10:00:00Z') }), { ran: true, deleted: [] });
  t.same(await days(), ['2026-11-28', '2026-11-29']);
  // 2026-11-28 began 47 h 59 min before: kept.
  t.same(await runSaltRotation({ db, now: () => at('2026-11-29T23:59:00Z') }), { ran: true, deleted: [] });
  // Just past midnight: 2026-11-28 began more than 48 h ago.
  t.same(await runSaltRotation({ db, now: () => at('2026-11-30T00:00:01Z') }), { ran: true, deleted: ['2026-11-28'] });
  t.same(await days(), ['2026-11-29', '2026-11-30']);

  const salts = new VisitorSalts(db);
  const now = await salts.salts(at('2026-11-30T00:01:00Z'));
  const stored = (await sql<{ salt: Buffer }>`SELECT salt FROM visitor_salts WHERE day = '2026-11-29'`.execute(db)).rows[0]!.salt;
  t.ok(now.previous?.equals(stored), 'the previous salt is the kept one');
  await runSaltRotation({ db, now: () => at('2026-12-01T00:00:01Z') });
  t.same(await days(), ['2026-11-30', '2026-12-01']);
  // Two days without a run: both older salts go at once.
  t.same(await runSaltRotation({ db, now: () => at('2026-12-03T00:00:01Z') }), { ran: true, deleted: ['2026-11-30', '2026-12-01'] });
  t.same(await days(), ['2026-12-03']);
  const later = await new VisitorSalts(db).salts(at('2026-12-03T00:30:00Z'));
  t.equal(later.previous, null, 'no salt of 2026-12-02 was ever made: no previous one');
});

t.test('a second process skips the rotation while another holds its lock', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${0x6a615f73616c74n.toString()}::bigint)`.execute(trx);
    t.same(await runSaltRotation({ db, now: () => at('2026-11-30T10:00:00Z') }), { ran: false, deleted: [] });
  });
});
