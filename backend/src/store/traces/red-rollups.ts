import { sanitizeString, type SpanRow } from '@justanalytics/collector';
import { redRollupColumns, type RedRollupDelta } from '../../db/tables/red-rollups.ts';
import { unnestParams } from '../../db/tables/columns.ts';
import { LatencySketch } from '../../rollups/latency-sketch.ts';
import type { SiteRows } from '../signal-writer.ts';
import type { ParameterisedQuery } from '../parameterised-query.ts';

export type { RedRollupDelta };

/** The two levels of RED rollups, by table. */
export type RedRollupTable = 'red_minutes' | 'red_hours';

const statusError = 2;
const nanosPerMinute = 60_000_000_000n;
const msPerMinute = 60_000;
const msPerHour = 3_600_000;

/** The minute and hour rollup rows of a flush's spans. */
export interface RedRollupDeltas {
  minutes: RedRollupDelta[];
  hours: RedRollupDelta[];
}

/**
 * Folds spans into one delta per (site, minute, service, span name, kind,
 * root or not), and the same per hour, each list sorted by key so that
 * concurrent upserts lock rollup rows in the same order. A span counts in
 * the minute its start falls in.
 */
export function summariseRed(writes: readonly SiteRows<SpanRow>[]): RedRollupDeltas {
  const minutes = new Map<string, RedRollupDelta>();
  const hours = new Map<string, RedRollupDelta>();
  for (const { siteId, rows } of writes) {
    for (const { row } of rows) {
      const minuteMs = Number(row.startTimeUnixNano / nanosPerMinute) * msPerMinute;
      const durationNs = row.endTimeUnixNano - row.startTimeUnixNano;
      const isError = row.statusCode === statusError;
      const isRoot = row.parentSpanId === null;
      // The names as spans store them (COPY makes NUL and lone surrogates U+FFFD; a query
      // parameter must too), and keyed so: two names that store alike are one row, never
      // two upserts of it in one statement. With NUL gone, NUL separates the key's parts.
      const serviceName = sanitizeString(row.serviceName);
      const spanName = sanitizeString(row.name);
      const name = `${siteId}\u0000${serviceName}\u0000${spanName}\u0000${row.kind}\u0000${isRoot ? 1 : 0}`;
      const hourMs = minuteMs - (minuteMs % msPerHour);
      const span = { serviceName, spanName, kind: row.kind, isRoot, isError, durationNs };
      add(minutes, `${minuteMs}\u0000${name}`, siteId, minuteMs, span);
      add(hours, `${hourMs}\u0000${name}`, siteId, hourMs, span);
    }
  }
  return { minutes: sorted(minutes), hours: sorted(hours) };
}

interface SpanFacts {
  serviceName: string;
  spanName: string;
  kind: number;
  isRoot: boolean;
  isError: boolean;
  durationNs: bigint;
}

function add(byKey: Map<string, RedRollupDelta>, key: string, siteId: string, timeMs: number, span: SpanFacts): void {
  let delta = byKey.get(key);
  if (delta === undefined) {
    delta = {
      siteId,
      timeMs,
      serviceName: span.serviceName,
      spanName: span.spanName,
      spanKind: span.kind,
      isRoot: span.isRoot,
      spanCount: 0,
      errorCount: 0,
      durationSumNs: 0n,
      latency: new LatencySketch(),
    };
    byKey.set(key, delta);
  }
  delta.spanCount++;
  if (span.isError) delta.errorCount++;
  delta.durationSumNs += span.durationNs;
  delta.latency.add(span.durationNs);
}

function sorted(byKey: Map<string, RedRollupDelta>): RedRollupDelta[] {
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, delta]) => delta);
}

/** `INSERT … SELECT FROM unnest(…)` with the array columns cast from their literals, then merged into existing rows. */
function upsertSql(table: RedRollupTable): string {
  const names = redRollupColumns.map((column) => column.name);
  const arrays = redRollupColumns.map((column, i) => `$${i + 1}::${column.type.startsWith('_') ? 'text' : column.type}[]`);
  const values = redRollupColumns.map((column) => (column.type.startsWith('_') ? `d.${column.name}::${column.type}` : `d.${column.name}`));
  return `INSERT INTO ${table} AS r (${names.join(', ')})
SELECT ${values.join(', ')}
FROM unnest(${arrays.join(', ')}) AS d (${names.join(', ')})
ON CONFLICT (site_id, time, service_name, span_name, span_kind, is_root) DO UPDATE SET
  span_count = r.span_count + EXCLUDED.span_count,
  error_count = r.error_count + EXCLUDED.error_count,
  duration_sum_ns = r.duration_sum_ns + EXCLUDED.duration_sum_ns,
  (latency_buckets, latency_counts) = (
    SELECT m.buckets, m.counts FROM red_latency_merge(r.latency_buckets, r.latency_counts, EXCLUDED.latency_buckets, EXCLUDED.latency_counts) m)`;
}

const upsertSqlOf: Record<RedRollupTable, string> = { red_minutes: upsertSql('red_minutes'), red_hours: upsertSql('red_hours') };

/** The upsert of a flush's deltas into one rollup table; null when there are none. */
export function upsertRedRollupsQuery(table: RedRollupTable, deltas: readonly RedRollupDelta[]): ParameterisedQuery | null {
  if (deltas.length === 0) return null;
  return { text: upsertSqlOf[table], values: unnestParams(redRollupColumns, deltas) };
}
