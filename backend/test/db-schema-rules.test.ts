// The storage rules that let the same migrations run on one PostgreSQL and on
// Citus, checked over the live catalog of the migrated schema (with a day of
// partitions of every signal table): every table is classified (signal,
// reference or coordinator-only), every primary key and unique index of a
// signal table and its partitions includes site_id, no foreign key points at a
// signal table, no sequence is narrower than bigint, one level of partitioning.
// A second test breaks each rule once and expects each break to be named.
import { sql } from 'kysely';
import t from 'tap';
import { citusCoordinatorTables, citusReferenceTables, citusUnpartitionedTables, schemaRuleViolations } from '../src/db/citus.ts';
import { ensurePartitions, partitionedTables, partitionName, utcDayNumber } from '../src/db/partitions.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const day = new Date('2026-11-29T12:00:00Z');

t.test('the migrated schema keeps every rule Citus needs', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  for (const table of partitionedTables) await ensurePartitions(db, table, day, day);
  t.same(await schemaRuleViolations(db), []);

  // The rules had something to check: the signal tables' keys exist and were read.
  const keyed = await sql<{ table: string; columns: string }>`
    SELECT c.conrelid::regclass::text AS table, pg_get_constraintdef(c.oid) AS columns
    FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
    WHERE c.contype IN ('p', 'u') AND r.relkind = 'p' ORDER BY 1`.execute(db);
  t.same(
    keyed.rows.map((row) => row.table),
    ['analytics_drops', 'analytics_rollups', 'metric_series', 'red_hours', 'red_minutes', 'resource_scopes', 'service_edge_minutes', 'sessions', 'trace_summaries'],
  );
  for (const row of keyed.rows) t.match(row.columns, /^PRIMARY KEY \(site_id, /, `${row.table} is keyed by site_id first`);

  // Every non-signal table is named on purpose, and the signal tables are exactly the partitioned and the unpartitioned ones.
  const plain = await sql<{ name: string }>`
    SELECT relname AS name FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND NOT relispartition ORDER BY 1`.execute(db);
  t.same(plain.rows.map((row) => row.name), [...citusReferenceTables, ...citusCoordinatorTables, ...citusUnpartitionedTables].sort());
  const identity = await sql<{ column: string; type: string }>`
    SELECT attrelid::regclass::text || '.' || attname AS column, format_type(atttypid, NULL) AS type
    FROM pg_attribute WHERE attidentity <> '' AND attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace) ORDER BY 1`.execute(db);
  t.same(identity.rows, [
    { column: 'api_keys.id', type: 'bigint' },
    { column: 'sites.id', type: 'bigint' },
  ]);
});

t.test('each broken rule is named', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  await ensurePartitions(db, 'spans', day, day);
  const spansPartition = partitionName('spans', utcDayNumber(day));
  // An unclassified table with an int4 serial key and no site_id, keyed to a signal table.
  await sql`CREATE TABLE stray_events (id serial PRIMARY KEY, site_id integer, trace_id bytea, day timestamptz,
    FOREIGN KEY (site_id, trace_id, day) REFERENCES trace_summaries (site_id, trace_id, day))`.execute(db);
  // A unique index made on one partition only.
  await sql`CREATE UNIQUE INDEX spans_one_day_span_idx ON ${sql.table(spansPartition)} (span_id)`.execute(db);
  // Two levels of partitioning.
  await sql`CREATE TABLE logs_nested PARTITION OF logs FOR VALUES FROM ('2001-01-01') TO ('2001-01-02') PARTITION BY LIST (site_id)`.execute(db);

  t.same(await schemaRuleViolations(db), [
    'table stray_events is neither a signal table (partitionedTables) nor a reference or coordinator table (db/citus.ts)',
    'signal table stray_events needs a bigint NOT NULL site_id',
    'unique index spans_one_day_span_idx of spans does not include site_id',
    'unique index stray_events_pkey of stray_events does not include site_id',
    'foreign key stray_events_site_id_trace_id_day_fkey from stray_events refers to signal table trace_summaries',
    'sequence stray_events_id_seq is integer: use bigint',
    'logs_nested is a partitioned partition: one level of partitioning only',
  ]);
});
