import type { ColumnType, Generated } from 'kysely';
import { nanosToTimestamp } from '../copy-text.ts';
import { dayStart } from '../days.ts';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/** What one flush adds to the summary of one trace on one UTC day. */
export interface TraceSummaryDelta {
  siteId: string;
  traceId: Buffer;
  day: number;
  startNanos: bigint;
  endNanos: bigint;
  spanCount: number;
  errorCount: number;
  /** Set when a span without parent (the root) is among the spans. */
  root: { serviceName: string; spanName: string; startNanos: bigint } | null;
  /** The int8[] literal of the spans' attribute hashes (store/traces/trace-attribute-hashes.ts). */
  attributeHashes: string;
}

const column = paramColumnsOf<TraceSummaryDelta>();

/**
 * The columns of trace_summaries in table order, each with a delta's value
 * (bigints as decimal strings; the array column as its literal, see unnestInsert).
 */
export const traceSummaryColumns = [
  column('site_id', 'int8', (d) => d.siteId),
  column('trace_id', 'bytea', (d) => d.traceId),
  column('day', 'timestamptz', (d) => dayStart(d.day).toISOString()),
  column('start_time', 'timestamptz', (d) => nanosToTimestamp(d.startNanos)),
  column('start_time_unix_nano', 'int8', (d) => d.startNanos.toString()),
  column('end_time_unix_nano', 'int8', (d) => d.endNanos.toString()),
  column('span_count', 'int8', (d) => String(d.spanCount)),
  column('error_count', 'int8', (d) => String(d.errorCount)),
  column('root_service_name', 'text', (d) => d.root?.serviceName ?? null),
  column('root_span_name', 'text', (d) => d.root?.spanName ?? null),
  column('attribute_hashes', '_int8', (d) => d.attributeHashes),
] as const;

export interface TraceSummariesTable {
  site_id: string;
  trace_id: Buffer;
  day: Date;
  start_time: Date;
  start_time_unix_nano: ColumnType<string, string | bigint, string | bigint>;
  end_time_unix_nano: ColumnType<string, string | bigint, string | bigint>;
  span_count: ColumnType<string, number | bigint, number | bigint>;
  error_count: ColumnType<string, number | bigint, number | bigint>;
  root_service_name: string | null;
  root_span_name: string | null;
  /** Hashes of the trace's `key=value` attribute texts on this day; {0}: not indexed, read the spans. */
  attribute_hashes: Generated<string[]>;
}

/** Fails to compile when TraceSummariesTable and traceSummaryColumns name different columns. */
export type TraceSummariesTableMatchesColumns = Assert<SameNames<keyof TraceSummariesTable, ColumnNames<typeof traceSummaryColumns>>>;
