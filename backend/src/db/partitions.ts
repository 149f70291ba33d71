import type { RowBatch } from '@justanalytics/collector';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { dayOfMs, dayStart } from './days.ts';

/**
 * The tables range-partitioned by day (spans on start_time, logs and red_* rollups on time, metric_points on time,
 * trace_summaries, resource_scopes and metric_series on day, events on time, sessions on started_at,
 * analytics_drops on day, analytics_rollups on bucket).
 */
export type PartitionedTable =
  | 'spans'
  | 'trace_summaries'
  | 'resource_scopes'
  | 'logs'
  | 'red_minutes'
  | 'red_hours'
  | 'metric_series'
  | 'metric_points'
  | 'service_edge_minutes'
  | 'events'
  | 'sessions'
  | 'analytics_drops'
  | 'analytics_rollups';
export const partitionedTables: readonly PartitionedTable[] = [
  'spans',
  'trace_summaries',
  'resource_scopes',
  'logs',
  'red_minutes',
  'red_hours',
  'metric_series',
  'metric_points',
  'service_edge_minutes',
  'events',
  'sessions',
  'analytics_drops',
  'analytics_rollups',
];

/** A signal the store keeps, with a retention of its own (identities are kept while their site is). */
export type StoredSignal = Exclude<RowBatch['signal'], 'identities'>;
export const storedSignals: readonly StoredSignal[] = ['traces', 'logs', 'metrics', 'events'];

/**
 * What a table's retention follows: the signals whose rows it holds, or the
 * analytics rollups' own retention (rollups outlive raw events, so `12mo`
 * reads them after the events are gone; drop counts are kept as long).
 */
export type RetentionClass = StoredSignal | 'analytics_rollups';

/** Days the analytics rollups and drop counts are kept by default: two years and a bit, so `12mo` compares with the year before. */
export const ANALYTICS_ROLLUP_RETENTION_DAYS = 800;

/**
 * The retention classes of the rows each table holds. A shared table
 * (resource_scopes, which spans and logs refer to) keeps its partitions as
 * long as the longest retention among them, so no signal's rows lose what
 * they refer to.
 */
export const partitionedTableSignals: Readonly<Record<PartitionedTable, readonly RetentionClass[]>> = {
  spans: ['traces'],
  trace_summaries: ['traces'],
  resource_scopes: ['traces', 'logs', 'metrics'],
  logs: ['logs'],
  metric_series: ['metrics'],
  metric_points: ['metrics'],
  red_minutes: ['traces'],
  red_hours: ['traces'],
  service_edge_minutes: ['traces'],
  events: ['events'],
  sessions: ['events'],
  analytics_drops: ['analytics_rollups'],
  analytics_rollups: ['analytics_rollups'],
};

/** Days kept: a default, overrides per signal, and the analytics rollups' own (default ANALYTICS_ROLLUP_RETENTION_DAYS, not `days`). */
export interface Retention {
  days: number;
  bySignal?: Partial<Record<StoredSignal, number>>;
  analyticsRollupDays?: number;
}

export function signalRetentionDays(retention: Retention, signal: RetentionClass): number {
  if (signal === 'analytics_rollups') return retention.analyticsRollupDays ?? ANALYTICS_ROLLUP_RETENTION_DAYS;
  return retention.bySignal?.[signal] ?? retention.days;
}

/** The longest retention of the classes whose rows `table` holds. */
export function tableRetentionDays(retention: Retention, table: PartitionedTable): number {
  return Math.max(...partitionedTableSignals[table].map((signal) => signalRetentionDays(retention, signal)));
}

export interface PartitionInfo {
  name: string;
  /** The partition's first instant: midnight UTC of its day. */
  day: Date;
}

// One lock for all partition DDL, in every process: the same constant everywhere.
const partitionDdlLock = 0x6a615f7061727473n; // "ja_parts"
// DDL on a partitioned table queues behind long readers and then blocks every
// writer behind itself; better to give up and try again later.
const ddlLockTimeout = '10s';

/** Days since 1970-01-01 UTC: the number partitions are named and bounded by. */
export function utcDayNumber(date: Date): number {
  return dayOfMs(date.getTime());
}

export function dayNumberToDate(day: number): Date {
  return dayStart(day);
}

/** spans + day 2026-11-23 → `spans_p20261123`. */
export function partitionName(table: PartitionedTable, day: number): string {
  return `${table}_p${dayNumberToDate(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Creates the partitions of `table` for every UTC day from `fromDay` to
 * `toDay` (both included) that do not exist yet, and returns the names created.
 * Idempotent and safe to run in several processes at once.
 */
export async function ensurePartitions(db: Kysely<Database>, table: PartitionedTable, fromDay: Date, toDay: Date): Promise<string[]> {
  const days: number[] = [];
  for (let day = utcDayNumber(fromDay); day <= utcDayNumber(toDay); day++) days.push(day);
  return ensurePartitionDays(db, table, days);
}

/** Like ensurePartitions, for a list of day numbers (see utcDayNumber). */
export async function ensurePartitionDays(db: Kysely<Database>, table: PartitionedTable, days: readonly number[]): Promise<string[]> {
  if (days.length === 0) return [];
  return inDdlTransaction(db, async (trx) => {
    const existing = new Set((await listPartitions(trx, table)).map((partition) => partition.name));
    const created: string[] = [];
    for (const day of [...new Set(days)].sort((a, b) => a - b)) {
      const name = partitionName(table, day);
      if (existing.has(name)) continue;
      const from = dayNumberToDate(day).toISOString();
      const to = dayNumberToDate(day + 1).toISOString();
      await sql`CREATE TABLE IF NOT EXISTS ${sql.id(name)} PARTITION OF ${sql.id(table)} FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(trx);
      created.push(name);
    }
    return created;
  });
}

/**
 * Drops the partitions of `table` whose whole day lies before `day`'s UTC day:
 * retention removes partitions, never rows. Returns the names dropped. Only
 * partitions named by this module are considered.
 */
export async function dropPartitionsBefore(db: Kysely<Database>, table: PartitionedTable, day: Date): Promise<string[]> {
  const cutoff = utcDayNumber(day);
  return inDdlTransaction(db, async (trx) => {
    const expired = (await listPartitions(trx, table)).filter((partition) => utcDayNumber(partition.day) < cutoff);
    for (const partition of expired) await sql`DROP TABLE IF EXISTS ${sql.id(partition.name)}`.execute(trx);
    return expired.map((partition) => partition.name);
  });
}

/** The day partitions of `table`, oldest first. */
export async function listPartitions(db: Kysely<Database>, table: PartitionedTable): Promise<PartitionInfo[]> {
  const result = await sql<{ name: string }>`
    SELECT c.relname AS name
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(${table})`.execute(db);
  const pattern = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`);
  const partitions: PartitionInfo[] = [];
  for (const { name } of result.rows) {
    const match = pattern.exec(name);
    if (!match) continue;
    partitions.push({ name, day: new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`) });
  }
  return partitions.sort((a, b) => a.day.getTime() - b.day.getTime());
}

async function inDdlTransaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  const run = async (trx: Transaction<Database> | Kysely<Database>): Promise<T> => {
    await sql`SELECT set_config('lock_timeout', ${ddlLockTimeout}, true)`.execute(trx);
    await sql`SELECT pg_advisory_xact_lock(${partitionDdlLock.toString()}::bigint)`.execute(trx);
    return work(trx);
  };
  // A caller's transaction is used as it is: Kysely cannot nest transactions.
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
