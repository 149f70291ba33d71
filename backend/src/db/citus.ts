import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { partitionedTables, type PartitionedTable } from './partitions.ts';

// Scale-out on Citus: the small shared tables become reference tables (a copy
// on every node), every signal table is hash-distributed by site_id and
// co-located with spans, so one site's rows of every table live on one node
// and every join and upsert by site stays on it. This is not a migration: a
// migration would be recorded as done on plain PostgreSQL, where these
// statements cannot run. `justanalytics citus enable` runs it, and runs it
// again after an upgrade that adds a table; steps already done are skipped.
// Partitions made later on a distributed parent are distributed by Citus
// itself, so partitions.ts stays as it is.

/**
 * Copied to every node. sites and api_keys are small and read by every node;
 * service_edge_progress is the service-edges job's one cursor over all sites
 * (one row, written once a minute, read by every service map query), so it has
 * no site_id and its upsert goes by its own key. visitor_salts is two or three
 * rows shared by every site (the site is in the hash, not the salt).
 */
export const citusReferenceTables = ['sites', 'api_keys', 'service_edge_progress', 'visitor_salts'] as const;

/**
 * Signal tables that are not partitioned by day (kept while their site is, or
 * emptied by a job): distributed by site_id like the partitioned ones.
 */
export const citusUnpartitionedTables = ['identities', 'analytics_funnels', 'analytics_goals', 'analytics_dirty_buckets'] as const;

/** Kept on the coordinator alone: only the coordinator migrates. */
export const citusCoordinatorTables = ['kysely_migration', 'kysely_migration_lock'] as const;

/** The distribution column of every signal table. */
export const citusDistributionColumn = 'site_id';

/** The table the other signal tables are co-located with. */
export const citusColocationTable: PartitionedTable = 'spans';

/**
 * The functions that shard queries call on the workers (the RED rollup's
 * bucket and merge). Functions created while Citus is installed are propagated
 * by Citus; these are distributed too in case the schema was migrated before.
 */
export const citusFunctions = ['red_latency_bounds()', 'red_latency_bucket(bigint)', 'red_latency_merge(integer[], bigint[], integer[], bigint[])'] as const;

export interface CitusStep {
  kind: 'reference' | 'distributed' | 'function';
  /** The table, or the function's signature. */
  object: string;
  statement: string;
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** Every statement `citus enable` runs, in order: reference tables, functions, then spans and the tables co-located with it. */
export function citusSteps(): CitusStep[] {
  const steps: CitusStep[] = citusReferenceTables.map((table) => ({
    kind: 'reference',
    object: table,
    statement: `SELECT create_reference_table(${literal(table)})`,
  }));
  for (const signature of citusFunctions) {
    steps.push({ kind: 'function', object: signature, statement: `SELECT create_distributed_function(${literal(signature)})` });
  }
  const signalTables = [citusColocationTable, ...partitionedTables.filter((table) => table !== citusColocationTable), ...citusUnpartitionedTables];
  for (const table of signalTables) {
    const colocateWith = table === citusColocationTable ? 'default' : citusColocationTable;
    steps.push({
      kind: 'distributed',
      object: table,
      statement: `SELECT create_distributed_table(${literal(table)}, ${literal(citusDistributionColumn)}, colocate_with => ${literal(colocateWith)})`,
    });
  }
  return steps;
}

export class CitusNotInstalledError extends Error {
  constructor(available: boolean) {
    super(
      available
        ? 'Citus is not installed in this database: run CREATE EXTENSION citus on the coordinator and add the workers first (docs/operations.md)'
        : 'Citus is not installed on this PostgreSQL server: install it on every node, preload it and CREATE EXTENSION citus first (docs/operations.md)',
    );
    this.name = 'CitusNotInstalledError';
  }
}

export interface CitusEnableResult {
  /** Steps run now, by object. */
  applied: string[];
  /** Steps found done before (by an earlier run or by hand). */
  alreadyDone: string[];
}

/** Distributes the schema when the database has Citus; otherwise throws CitusNotInstalledError. Idempotent. */
export async function enableCitus(db: Kysely<Database>): Promise<CitusEnableResult> {
  await assertCitusInstalled(db);
  return distributeSchema(db);
}

export async function assertCitusInstalled(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ installed: boolean; available: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS installed,
           EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citus') AS available`.execute(db);
  if (rows[0]?.installed !== true) throw new CitusNotInstalledError(rows[0]?.available === true);
}

// Two `citus enable` at once: the second waits, then finds the steps done.
const citusEnableLock = 0x6a615f6369747573n; // "ja_citus"

/**
 * Runs the steps of citusSteps() not done yet, each in a transaction of its
 * own that checks Citus' catalog (pg_dist_partition, pg_dist_object) first.
 * Refuses a schema that breaks the rules Citus needs (schemaRuleViolations).
 * Run inside a caller's transaction, it uses that one.
 */
export async function distributeSchema(db: Kysely<Database>): Promise<CitusEnableResult> {
  const violations = await schemaRuleViolations(db);
  if (violations.length > 0) throw new Error(`the schema cannot be distributed: ${violations.join('; ')}`);
  const result: CitusEnableResult = { applied: [], alreadyDone: [] };
  for (const step of citusSteps()) {
    const run = async (trx: Kysely<Database>): Promise<void> => {
      await sql`SELECT pg_advisory_xact_lock(${citusEnableLock.toString()}::bigint)`.execute(trx);
      if (await stepDone(trx, step)) {
        result.alreadyDone.push(step.object);
        return;
      }
      await sql.raw(step.statement).execute(trx);
      result.applied.push(step.object);
    };
    // Kysely cannot nest transactions: a caller's is used as it is.
    await (db.isTransaction ? run(db) : db.transaction().execute(run));
  }
  return result;
}

async function stepDone(db: Kysely<Database>, step: CitusStep): Promise<boolean> {
  if (step.kind === 'function') {
    const { rows } = await sql`
      SELECT 1 FROM pg_dist_object WHERE classid = 'pg_proc'::regclass AND objid = ${step.object}::regprocedure`.execute(db);
    return rows.length > 0;
  }
  const { rows } = await sql<{ partmethod: string }>`
    SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = ${step.object}::regclass`.execute(db);
  const method = rows[0]?.partmethod;
  if (method === undefined) return false;
  // 'n': a reference table (no distribution column); 'h': hash-distributed.
  const wanted = step.kind === 'reference' ? 'n' : 'h';
  if (method !== wanted) {
    throw new Error(`${step.object} is already a Citus table of another kind (partmethod ${method}): undistribute_table it, then run citus enable again`);
  }
  return true;
}

/**
 * What in the schema (of the current schema's tables) Citus could not
 * distribute as citusSteps() says, as sentences; empty when all is well.
 * Signal tables are every table neither reference nor coordinator-only: each
 * must have a bigint site_id, include it in every primary key and unique
 * index (of the table and its partitions), take no foreign key to another
 * signal table (nor a reference table one to a signal table), and be
 * partitioned at most one level deep. No sequence may be narrower than bigint.
 */
export async function schemaRuleViolations(db: Kysely<Database>): Promise<string[]> {
  const nonSignal = [...citusReferenceTables, ...citusCoordinatorTables];
  const violations: string[] = [];

  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name
    FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY 1`.execute(db);
  const known = new Set<string>([...partitionedTables, ...citusUnpartitionedTables, ...nonSignal]);
  // A node that holds shards names them <table>_<shard id>; Citus hides them from clients, but not from every tool.
  const isShard = (name: string): boolean => /_\d+$/.test(name) && known.has(name.replace(/_\d+$/, ''));
  for (const { name } of tables.rows) {
    if (!known.has(name) && !isShard(name)) violations.push(`table ${name} is neither a signal table (partitionedTables) nor a reference or coordinator table (db/citus.ts)`);
  }
  const signalTables = tables.rows.map((row) => row.name).filter((name) => !(nonSignal as readonly string[]).includes(name) && !isShard(name));

  const siteColumns = await sql<{ name: string; type: string | null; not_null: boolean | null }>`
    SELECT t.name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
    FROM unnest(${signalTables}::text[]) AS t (name)
    LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attname = ${citusDistributionColumn} AND NOT a.attisdropped`.execute(db);
  for (const row of siteColumns.rows) {
    if (row.type !== 'bigint' || row.not_null !== true) violations.push(`signal table ${row.name} needs a bigint NOT NULL ${citusDistributionColumn}`);
  }

  // Indexes of the signal tables and of their partitions (pg_partition_root finds a partition's parent; NULL outside a partition tree).
  const uniques = await sql<{ index: string; table: string }>`
    SELECT i.indexrelid::regclass::text AS index, coalesce(pg_partition_root(i.indrelid), i.indrelid::regclass)::regclass::text AS table
    FROM pg_index i
    WHERE i.indisunique AND coalesce(pg_partition_root(i.indrelid), i.indrelid::regclass)::regclass::text = ANY (${signalTables}::text[])
      AND NOT EXISTS (
        SELECT 1 FROM pg_attribute a
        WHERE a.attrelid = i.indrelid AND a.attname = ${citusDistributionColumn} AND a.attnum = ANY (i.indkey::int2[]))
    ORDER BY 1`.execute(db);
  for (const row of uniques.rows) violations.push(`unique index ${row.index} of ${row.table} does not include ${citusDistributionColumn}`);

  const foreignKeys = await sql<{ name: string; from_table: string; to_table: string }>`
    SELECT c.conname AS name, coalesce(pg_partition_root(c.conrelid), c.conrelid::regclass)::regclass::text AS from_table, coalesce(pg_partition_root(c.confrelid), c.confrelid::regclass)::regclass::text AS to_table
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
      AND coalesce(pg_partition_root(c.confrelid), c.confrelid::regclass)::regclass::text = ANY (${signalTables}::text[])
    ORDER BY 1`.execute(db);
  for (const row of foreignKeys.rows) violations.push(`foreign key ${row.name} from ${row.from_table} refers to signal table ${row.to_table}`);

  const sequences = await sql<{ name: string; type: string }>`
    SELECT s.seqrelid::regclass::text AS name, format_type(s.seqtypid, NULL) AS type
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
    WHERE c.relnamespace = current_schema()::regnamespace AND s.seqtypid <> 'bigint'::regtype
    ORDER BY 1`.execute(db);
  for (const row of sequences.rows) violations.push(`sequence ${row.name} is ${row.type}: use bigint`);

  const nested = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'p' AND c.relispartition
    ORDER BY 1`.execute(db);
  for (const row of nested.rows) violations.push(`${row.name} is a partitioned partition: one level of partitioning only`);

  return violations;
}
