import type { ColumnType } from 'kysely';
import type { LatencySketch } from '../../rollups/latency-sketch.ts';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/** What one flush (or a backfill) adds to one rollup row: the spans of one key that started in one minute or hour. */
export interface RedRollupDelta {
  siteId: string;
  /** The minute or hour, as milliseconds since the epoch. */
  timeMs: number;
  /** Storable text: NUL and lone surrogates made U+FFFD, as COPY stores them in spans. */
  serviceName: string;
  spanName: string;
  spanKind: number;
  isRoot: boolean;
  spanCount: number;
  errorCount: number;
  durationSumNs: bigint;
  latency: LatencySketch;
}

const column = paramColumnsOf<RedRollupDelta>();

/**
 * The columns of red_minutes and red_hours (the same) in table order, each
 * with a delta's value. Array columns (catalog types `_int4`, `_int8`) go in
 * as array literals, one text per row, since unnest would flatten an array of
 * arrays.
 */
export const redRollupColumns = [
  column('site_id', 'int8', (d) => d.siteId),
  column('time', 'timestamptz', (d) => new Date(d.timeMs).toISOString()),
  column('service_name', 'text', (d) => d.serviceName),
  column('span_name', 'text', (d) => d.spanName),
  column('span_kind', 'int2', (d) => String(d.spanKind)),
  column('is_root', 'bool', (d) => String(d.isRoot)),
  column('span_count', 'int8', (d) => String(d.spanCount)),
  column('error_count', 'int8', (d) => String(d.errorCount)),
  column('duration_sum_ns', 'numeric', (d) => d.durationSumNs.toString()),
  column('latency_buckets', '_int4', (d) => `{${d.latency.toArrays().buckets.join(',')}}`),
  column('latency_counts', '_int8', (d) => `{${d.latency.toArrays().counts.join(',')}}`),
] as const;

type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>;

export interface RedRollupsTable {
  site_id: string;
  time: Date;
  service_name: string;
  span_name: string;
  span_kind: number;
  is_root: boolean;
  span_count: Int8;
  error_count: Int8;
  duration_sum_ns: ColumnType<string, string | bigint, string | bigint>;
  latency_buckets: number[];
  latency_counts: ColumnType<string[], string[] | number[], string[] | number[]>;
}

/** Minute rollups: `time` is the minute the spans started in. */
export type RedMinutesTable = RedRollupsTable;
/** Hour rollups: `time` is the hour the spans started in. */
export type RedHoursTable = RedRollupsTable;

/** Fails to compile when RedRollupsTable and redRollupColumns name different columns. */
export type RedRollupsTableMatchesColumns = Assert<SameNames<keyof RedRollupsTable, ColumnNames<typeof redRollupColumns>>>;
