import type { ColumnType } from 'kysely';
import type { AnyValueJson, KeyValueJson, LogRow } from '@justanalytics/collector';
import { copyBytea, copyJson, copyNullableBytea, copyText, nanosToTimestamp } from '../copy-text.ts';
import { copyColumnsOf, copyStatement, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/** What one logs row is made from: the record, its batch's site, its resource_scopes id and its folded search text. */
export interface LogCopyRow {
  siteId: string;
  log: LogRow;
  resourceScopeId: Buffer;
  searchText: string;
}

const column = copyColumnsOf<LogCopyRow>();

/** The columns of logs in COPY order, each with how a record fills it. */
export const logColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('time', 'timestamptz', (r) => nanosToTimestamp(r.log.timestampUnixNano)),
  column('time_ns', 'int8', (r) => r.log.timestampUnixNano.toString()),
  column('time_unix_nano', 'int8', (r) => r.log.timeUnixNano.toString()),
  column('observed_time_unix_nano', 'int8', (r) => r.log.observedTimeUnixNano.toString()),
  column('severity_number', 'int2', (r) => String(r.log.severityNumber)),
  column('severity_text', 'text', (r) => copyText(r.log.severityText)),
  // A record without a body is stored as the empty AnyValue: the column is NOT NULL.
  column('body', 'jsonb', (r) => copyJson(r.log.body ?? {})),
  column('attributes', 'jsonb', (r) => copyJson(r.log.attributes)),
  column('dropped_attributes_count', 'int8', (r) => String(r.log.droppedAttributesCount)),
  column('flags', 'int8', (r) => String(r.log.flags)),
  column('trace_id', 'bytea', (r) => copyNullableBytea(r.log.traceId)),
  column('span_id', 'bytea', (r) => copyNullableBytea(r.log.spanId)),
  column('event_name', 'text', (r) => copyText(r.log.eventName)),
  column('service_name', 'text', (r) => copyText(r.log.serviceName)),
  column('resource_scope_id', 'bytea', (r) => copyBytea(r.resourceScopeId)),
  column('search_text', 'text', (r) => copyText(r.searchText)),
] as const;

export const copyLogsSql = copyStatement('logs', logColumns);

type Int8 = ColumnType<string, never, never>; // read as decimal strings
type Stored<T> = ColumnType<T, never, never>;

/** Rows are written by store/ with COPY (logColumns), never through Kysely, hence `never` inserts. */
export interface LogsTable {
  site_id: Stored<string>;
  /** The record's time, else its observed time, else when it was received. */
  time: Stored<Date>;
  /** `time` in exact nanoseconds. */
  time_ns: Int8;
  /** As the record carried them, '0' when absent. */
  time_unix_nano: Int8;
  observed_time_unix_nano: Int8;
  severity_number: Stored<number>;
  severity_text: Stored<string>;
  /** OTLP/JSON AnyValue; `{}` when the record had no body. */
  body: Stored<AnyValueJson>;
  attributes: Stored<KeyValueJson[]>;
  dropped_attributes_count: Int8;
  flags: Int8;
  trace_id: Stored<Buffer | null>;
  span_id: Stored<Buffer | null>;
  event_name: Stored<string>;
  service_name: Stored<string>;
  /** The `id` of the record's row in resource_scopes (16 bytes). */
  resource_scope_id: Stored<Buffer>;
  /** The body's and string attribute values' text, folded by foldSearchText. */
  search_text: Stored<string>;
}

/** Fails to compile when LogsTable and logColumns name different columns. */
export type LogsTableMatchesColumns = Assert<SameNames<keyof LogsTable, ColumnNames<typeof logColumns>>>;
