// `citus enable`'s statements, run for real on plain PostgreSQL against stubs
// of Citus' functions and catalog with Citus' own signatures (parameter names
// and types), inside a transaction that is rolled back: the statements parse,
// their arguments resolve (tables as regclass, functions as regprocedure,
// colocate_with by name), reference tables come first and every signal table
// lands in spans' co-location group, a second run finds every step done, and a
// table Citus already holds in another way stops the run with a clear error.
// What no stub can show (shard placement, pushdown) needs a real Citus.
import { sql, type Kysely } from 'kysely';
import t from 'tap';
import { citusFunctions, citusReferenceTables, citusUnpartitionedTables, citusSteps, distributeSchema, type CitusEnableResult } from '../src/db/citus.ts';
import type { Database } from '../src/db/database.ts';
import { ensurePartitions, partitionedTables } from '../src/db/partitions.ts';
import { createTestDatabase } from './helpers/test-database.ts';

// Citus 11+ signatures (pg_catalog there; a schema after public here, so the
// unqualified names the code uses find them as they would find Citus').
const stubs = `
CREATE SCHEMA citus_stub;
CREATE TYPE citus_stub.distribution_type AS ENUM ('hash', 'range', 'append');
CREATE TABLE citus_stub.pg_dist_partition (logicalrelid regclass PRIMARY KEY, partmethod "char" NOT NULL, colocationid integer NOT NULL);
CREATE TABLE citus_stub.pg_dist_object (classid oid NOT NULL, objid oid NOT NULL, objsubid integer NOT NULL);
CREATE FUNCTION citus_stub.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM citus_stub.pg_dist_partition WHERE logicalrelid = table_name) THEN
    RAISE EXCEPTION 'table "%" is already distributed', table_name;
  END IF;
  INSERT INTO citus_stub.pg_dist_partition VALUES (table_name, 'n', 0);
END $$;
CREATE FUNCTION citus_stub.create_distributed_table(table_name regclass, distribution_column text,
    distribution_type citus_stub.distribution_type DEFAULT 'hash', colocate_with text DEFAULT 'default', shard_count integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  group_id integer;
BEGIN
  IF EXISTS (SELECT 1 FROM citus_stub.pg_dist_partition WHERE logicalrelid = table_name) THEN
    RAISE EXCEPTION 'table "%" is already distributed', table_name;
  END IF;
  IF (SELECT relispartition FROM pg_class WHERE oid = table_name) THEN
    RAISE EXCEPTION 'cannot distribute relation "%" which is partition of another table', table_name;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = table_name AND attname = distribution_column AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist', distribution_column, table_name;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_index i WHERE i.indisunique AND coalesce(pg_partition_root(i.indrelid), i.indrelid::regclass) = table_name
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = distribution_column AND a.attnum = ANY (i.indkey::int2[]))) THEN
    RAISE EXCEPTION 'cannot create constraint on "%": distributed relations cannot have UNIQUE constraints that do not include the partition column', table_name;
  END IF;
  IF colocate_with = 'default' THEN
    group_id := 1;
  ELSE
    SELECT colocationid INTO group_id FROM citus_stub.pg_dist_partition WHERE logicalrelid = colocate_with::regclass AND partmethod = 'h';
    IF group_id IS NULL THEN
      RAISE EXCEPTION 'cannot colocate tables % and %: % is not distributed', table_name, colocate_with, colocate_with;
    END IF;
  END IF;
  INSERT INTO citus_stub.pg_dist_partition VALUES (table_name, 'h', group_id);
END $$;
CREATE FUNCTION citus_stub.create_distributed_function(function_name regprocedure, distribution_arg_name text DEFAULT NULL,
    colocate_with text DEFAULT 'default') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO citus_stub.pg_dist_object VALUES ('pg_proc'::regclass, function_name, 0);
END $$;
`;

class Rollback extends Error {}

/** Runs `work` in a transaction with the stubs installed, then rolls it all back. */
async function withStubs(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL search_path = public, citus_stub`.execute(trx);
      await sql.raw(stubs).execute(trx);
      await work(trx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
}

const signalTables = ['spans', ...partitionedTables.filter((table) => table !== 'spans'), ...citusUnpartitionedTables];

t.test('every statement runs against Citus-shaped functions, once', async (t) => {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  for (const table of partitionedTables) await ensurePartitions(db, table, new Date('2026-11-29T00:00:00Z'), new Date('2026-11-30T00:00:00Z'));

  t.same(
    citusSteps().map((step) => step.kind),
    [...citusReferenceTables.map(() => 'reference'), ...citusFunctions.map(() => 'function'), ...signalTables.map(() => 'distributed')],
    'reference tables, then functions, then spans and the tables co-located with it',
  );
  t.equal(citusSteps().find((step) => step.object === 'logs')?.statement, "SELECT create_distributed_table('logs', 'site_id', colocate_with => 'spans')");

  let first: CitusEnableResult | undefined;
  let second: CitusEnableResult | undefined;
  await withStubs(db, async (trx) => {
    first = await distributeSchema(trx);
    const placed = await sql<{ table: string; method: string; group: number }>`
      SELECT logicalrelid::text AS table, partmethod AS method, colocationid AS group FROM pg_dist_partition ORDER BY 1`.execute(trx);
    t.same(
      placed.rows,
      [...citusReferenceTables.map((table) => ({ table, method: 'n', group: 0 })), ...signalTables.map((table) => ({ table, method: 'h', group: 1 }))].sort((a, b) =>
        a.table < b.table ? -1 : 1,
      ),
      'sites, keys and the edge job cursor are reference tables; every signal table is in one co-location group',
    );
    const functions = await sql<{ name: string }>`SELECT objid::regprocedure::text AS name FROM pg_dist_object ORDER BY 1`.execute(trx);
    t.same(
      functions.rows.map((row) => row.name),
      ['red_latency_bounds()', 'red_latency_bucket(bigint)', 'red_latency_merge(integer[],bigint[],integer[],bigint[])'],
    );
    second = await distributeSchema(trx);
  });
  t.same(first, { applied: citusSteps().map((step) => step.object), alreadyDone: [] });
  t.same(second, { applied: [], alreadyDone: citusSteps().map((step) => step.object) }, 'a second run finds every step done');
  const left = await sql<{ schema: string | null }>`SELECT to_regnamespace('citus_stub')::text AS schema`.execute(db);
  t.same(left.rows, [{ schema: null }], 'the stubs were rolled back');
});

t.test('a table Citus already holds in another way stops the run', async (t) => {
  const { handle } = await createTestDatabase(t);
  await withStubs(handle.db, async (trx) => {
    await sql`SELECT create_reference_table('logs')`.execute(trx);
    await t.rejects(distributeSchema(trx), /logs is already a Citus table of another kind \(partmethod n\)/);
  });
});

t.test('a schema that breaks the rules is refused before any statement runs', async (t) => {
  const { handle } = await createTestDatabase(t);
  await withStubs(handle.db, async (trx) => {
    await sql`CREATE UNIQUE INDEX logs_event_idx ON logs (event_name, time)`.execute(trx);
    await t.rejects(distributeSchema(trx), /the schema cannot be distributed: unique index logs_event_idx of logs does not include site_id/);
    const placed = await sql`SELECT 1 FROM pg_dist_partition`.execute(trx);
    t.equal(placed.rows.length, 0);
  });
});
