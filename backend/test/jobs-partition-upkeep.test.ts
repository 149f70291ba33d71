// Partition upkeep: makes yesterday to futureDays + 1 ahead for spans, trace
// summaries and resource_scopes, drops what retention no longer keeps, does nothing twice,
// runs once across concurrent processes, and keeps its timer going on errors.
import { pino } from 'pino';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { ensurePartitions, listPartitions } from '../src/db/partitions.ts';
import { runPartitionUpkeep, startPartitionUpkeep } from '../src/jobs/partition-upkeep.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const logger = testLogger();

t.test('makes the partitions around today and drops the expired ones', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  await ensurePartitions(db, 'spans', new Date('2026-10-01T00:00:00Z'), new Date('2026-10-02T00:00:00Z'));
  await ensurePartitions(db, 'trace_summaries', new Date('2026-10-23T00:00:00Z'), new Date('2026-10-24T00:00:00Z'));
  await ensurePartitions(db, 'resource_scopes', new Date('2026-10-22T00:00:00Z'), new Date('2026-10-24T00:00:00Z'));
  const now = () => Date.parse('2026-11-23T15:30:00Z');

  const first = await runPartitionUpkeep({ db, logger, retentionDays: 30, futureDays: 1, now });
  t.equal(first.ran, true);
  t.same(first.created.sort(), [
    'resource_scopes_p20261122',
    'resource_scopes_p20261123',
    'resource_scopes_p20261124',
    'resource_scopes_p20261125',
    'spans_p20261122',
    'spans_p20261123',
    'spans_p20261124',
    'spans_p20261125',
    'trace_summaries_p20261122',
    'trace_summaries_p20261123',
    'trace_summaries_p20261124',
    'trace_summaries_p20261125',
  ]);
  // Retention 30 days from 2026-11-23 keeps 2026-10-24 onwards.
  t.same(first.dropped.sort(), [
    'resource_scopes_p20261022',
    'resource_scopes_p20261023',
    'spans_p20261001',
    'spans_p20261002',
    'trace_summaries_p20261023',
  ]);
  t.same(
    (await listPartitions(db, 'trace_summaries')).map((p) => p.name),
    ['trace_summaries_p20261024', 'trace_summaries_p20261122', 'trace_summaries_p20261123', 'trace_summaries_p20261124', 'trace_summaries_p20261125'],
  );
  t.same(
    (await listPartitions(db, 'resource_scopes')).map((p) => p.name),
    ['resource_scopes_p20261024', 'resource_scopes_p20261122', 'resource_scopes_p20261123', 'resource_scopes_p20261124', 'resource_scopes_p20261125'],
    'resource_scopes partitions are made and dropped with the others',
  );

  t.same(await runPartitionUpkeep({ db, logger, retentionDays: 30, futureDays: 1, now }), { ran: true, created: [], dropped: [] }, 'idempotent');
});

t.test('concurrent runs in several processes do the work once', async (t) => {
  const { url } = await createTestDatabase(t);
  const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 2 })));
  t.teardown(() => Promise.all(handles.map((handle) => handle.close())));
  const now = () => Date.parse('2026-11-23T00:00:00Z');
  const results = await Promise.all(handles.map((handle) => runPartitionUpkeep({ db: handle.db, logger, retentionDays: 7, now })));
  const created = results.flatMap((result) => result.created);
  t.equal(created.length, 12, '4 days for each of the 3 tables');
  t.equal(new Set(created).size, 12, 'each made once');
  t.ok(results.some((result) => result.ran));
});

t.test('startPartitionUpkeep runs at once, again on its interval, and stops', async (t) => {
  const { handle } = await createTestDatabase(t);
  let clock = Date.parse('2026-11-23T12:00:00Z');
  const upkeep = startPartitionUpkeep({ db: handle.db, logger, retentionDays: 30, intervalMs: 20, now: () => clock });
  await upkeep.ready;
  t.same((await listPartitions(handle.db, 'spans')).map((p) => p.name), ['spans_p20261122', 'spans_p20261123', 'spans_p20261124', 'spans_p20261125']);
  clock += 86_400_000; // a day later, the next run makes the next day
  for (let i = 0; i < 500 && !(await listPartitions(handle.db, 'spans')).some((p) => p.name === 'spans_p20261126'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.ok((await listPartitions(handle.db, 'spans')).some((p) => p.name === 'spans_p20261126'), 'a later run made the next day');
  await upkeep.stop();
  await upkeep.stop(); // safe twice
});

t.test('a failing run is logged, not thrown, and stop still works', async (t) => {
  const { url } = await createTestDatabase(t);
  const doomed = await openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 1 });
  await doomed.close(); // every query now fails
  const lines: string[] = [];
  const recording = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const upkeep = startPartitionUpkeep({ db: doomed.db, logger: recording, retentionDays: 30, intervalMs: 60_000 });
  await upkeep.ready;
  t.equal(lines.length, 1, 'the failure was logged');
  t.match(JSON.parse(lines[0] ?? '{}'), { msg: /partition upkeep failed/ });
  await upkeep.stop();
});
