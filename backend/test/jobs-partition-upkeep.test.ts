// Partition upkeep: makes yesterday to futureDays + 1 ahead for spans, trace
// summaries, resource_scopes and logs, drops what retention no longer keeps, does nothing twice,
// follows each signal's retention, runs once across concurrent processes, and
// keeps its timer going on errors.
import { pino } from 'pino';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { ensurePartitions, listPartitions, partitionedTables, tableRetentionDays } from '../src/db/partitions.ts';
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
  t.same(
    first.created.sort(),
    partitionedTables.flatMap((table) => ['22', '23', '24', '25'].map((day) => `${table}_p202611${day}`)).sort(),
    'every partitioned table gets today, a day behind and the days ahead',
  );
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

t.test("each table's partitions are dropped by its signal's retention, a shared table by the longest", async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  for (const table of partitionedTables) await ensurePartitions(db, table, new Date('2026-11-10T00:00:00Z'), new Date('2026-11-20T00:00:00Z'));
  const now = () => Date.parse('2026-11-23T15:30:00Z');
  // Traces kept 7 days, logs 10, metrics 9: resource_scopes holds all three and keeps the longest.
  const retention = { days: 30, bySignal: { traces: 7, logs: 10, metrics: 9 } };
  const result = await runPartitionUpkeep({ db, logger, retentionDays: 30, signalRetentionDays: retention.bySignal, now });
  const dropped = (table: string) => result.dropped.filter((name) => name.startsWith(`${table}_p`)).sort();
  const days = (table: string, list: string[]) => list.map((day) => `${table}_p202611${day}`);
  const expected: Record<string, [keptFrom: string, dropped: string[], retentionDays: number]> = {
    spans: ['2026-11-16', days('spans', ['10', '11', '12', '13', '14', '15']), 7],
    trace_summaries: ['2026-11-16', days('trace_summaries', ['10', '11', '12', '13', '14', '15']), 7],
    red_minutes: ['2026-11-16', days('red_minutes', ['10', '11', '12', '13', '14', '15']), 7],
    red_hours: ['2026-11-16', days('red_hours', ['10', '11', '12', '13', '14', '15']), 7],
    service_edge_minutes: ['2026-11-16', days('service_edge_minutes', ['10', '11', '12', '13', '14', '15']), 7],
    logs: ['2026-11-13', days('logs', ['10', '11', '12']), 10],
    metric_series: ['2026-11-14', days('metric_series', ['10', '11', '12', '13']), 9],
    metric_points: ['2026-11-14', days('metric_points', ['10', '11', '12', '13']), 9],
    resource_scopes: ['2026-11-13', days('resource_scopes', ['10', '11', '12']), 10],
    // Events and sessions follow the events signal: the default here.
    events: ['2026-10-24', [], 30],
    sessions: ['2026-10-24', [], 30],
    // The analytics rollups and drop counts have their own retention, default 800 days.
    analytics_drops: ['2024-09-14', [], 800],
    analytics_rollups: ['2024-09-14', [], 800],
  };
  for (const table of partitionedTables) {
    const [keptFrom, droppedNames, retentionDays] = expected[table]!;
    t.same(dropped(table), droppedNames, `${table} keeps ${keptFrom} onwards`);
    t.equal(tableRetentionDays(retention, table), retentionDays);
  }
  t.equal(tableRetentionDays({ days: 30 }, 'resource_scopes'), 30, 'the default when no signal has its own');
  t.equal(tableRetentionDays({ days: 30, analyticsRollupDays: 3 }, 'analytics_rollups'), 3);
  t.equal(tableRetentionDays({ days: 3000 }, 'analytics_rollups'), 800, 'rollups keep their own default, not the signals’');
});

t.test('the analytics rollups and drop counts follow their own retention, events theirs', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  for (const table of ['events', 'sessions', 'analytics_drops', 'analytics_rollups'] as const) {
    await ensurePartitions(db, table, new Date('2026-11-10T00:00:00Z'), new Date('2026-11-12T00:00:00Z'));
  }
  const now = () => Date.parse('2026-11-23T15:30:00Z');
  // Events kept 12 days (2026-11-11 onwards), rollups 11 (2026-11-12 onwards).
  const result = await runPartitionUpkeep({ db, logger, retentionDays: 30, signalRetentionDays: { events: 12 }, analyticsRollupRetentionDays: 11, now });
  t.same(result.dropped.filter((name) => !/_p2026112[2-5]$/.test(name)).sort(), [
    'analytics_drops_p20261110',
    'analytics_drops_p20261111',
    'analytics_rollups_p20261110',
    'analytics_rollups_p20261111',
    'events_p20261110',
    'sessions_p20261110',
  ]);
});

t.test('concurrent runs in several processes do the work once', async (t) => {
  const { url } = await createTestDatabase(t);
  const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 2 })));
  t.teardown(() => Promise.all(handles.map((handle) => handle.close())));
  const now = () => Date.parse('2026-11-23T00:00:00Z');
  const results = await Promise.all(handles.map((handle) => runPartitionUpkeep({ db: handle.db, logger, retentionDays: 7, now })));
  const created = results.flatMap((result) => result.created);
  t.equal(created.length, 4 * partitionedTables.length, '4 days for each table');
  t.equal(new Set(created).size, 4 * partitionedTables.length, 'each made once');
  t.ok(results.some((result) => result.ran));
});

t.test('concurrent retention in several processes drops each expired partition once and fails none', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  for (const table of partitionedTables) await ensurePartitions(handle.db, table, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-24T00:00:00Z'));
  const handles = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 2 })));
  t.teardown(() => Promise.all(handles.map((h) => h.close())));
  const now = () => Date.parse('2026-11-23T00:00:00Z');
  // Two retentions, as processes configured apart during a rolling change: each drops what it sees expired.
  const results = await Promise.all(
    handles.flatMap((h) => [runPartitionUpkeep({ db: h.db, logger, retentionDays: 7, now }), runPartitionUpkeep({ db: h.db, logger, retentionDays: 14, now })]),
  );
  const dropped = results.flatMap((result) => result.dropped);
  t.equal(new Set(dropped).size, dropped.length, 'no partition dropped twice');
  // Retention 7 from 2026-11-23 keeps 2026-11-16 onwards: the 15 days from 2026-11-01 go, whichever run dropped them
  // (the analytics rollups keep their own 800 days).
  for (const table of partitionedTables.filter((table) => table !== 'analytics_drops' && table !== 'analytics_rollups')) {
    const kept = (await listPartitions(handle.db, table)).map((p) => p.name);
    t.notOk(kept.includes(`${table}_p20261115`), `${table}: expired days dropped`);
    t.ok(kept.includes(`${table}_p20261116`), `${table}: the kept days stay`);
  }
  t.same(await runPartitionUpkeep({ db: handle.db, logger, retentionDays: 7, now }).then((r) => r.dropped), [], 'nothing left to drop');
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
