import type { ColumnType } from 'kysely';
import type { KeyValueJson, SpanEventJson, SpanLinkJson, SpanRow } from '@justanalytics/collector';
import { copyBytea, copyJson, copyNull, copyNullableBytea, copyNullableText, copyText, nanosToTimestamp } from '../copy-text.ts';
import { copyColumnsOf, copyStatement, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/** What one spans row is made from: the span, its batch's site and the id of its resource_scopes row. */
export interface SpanCopyRow {
  siteId: string;
  span: SpanRow;
  resourceScopeId: Buffer;
}

const column = copyColumnsOf<SpanCopyRow>();

/** The columns of spans in COPY order, each with how a span fills it. */
export const spanColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('trace_id', 'bytea', (r) => copyBytea(r.span.traceId)),
  column('span_id', 'bytea', (r) => copyBytea(r.span.spanId)),
  column('parent_span_id', 'bytea', (r) => copyNullableBytea(r.span.parentSpanId)),
  column('trace_state', 'text', (r) => copyText(r.span.traceState)),
  column('flags', 'int8', (r) => String(r.span.flags)),
  column('name', 'text', (r) => copyText(r.span.name)),
  column('kind', 'int2', (r) => String(r.span.kind)),
  column('start_time', 'timestamptz', (r) => nanosToTimestamp(r.span.startTimeUnixNano)),
  column('start_time_unix_nano', 'int8', (r) => r.span.startTimeUnixNano.toString()),
  column('end_time_unix_nano', 'int8', (r) => r.span.endTimeUnixNano.toString()),
  column('duration_ns', 'int8', (r) => (r.span.endTimeUnixNano - r.span.startTimeUnixNano).toString()),
  column('service_name', 'text', (r) => copyText(r.span.serviceName)),
  column('status_code', 'int2', (r) => String(r.span.statusCode)),
  column('status_message', 'text', (r) => copyText(r.span.statusMessage)),
  column('http_route', 'text', (r) => copyNullableText(r.span.httpRoute)),
  column('http_status_code', 'int4', (r) => (r.span.httpStatusCode === null ? copyNull : String(r.span.httpStatusCode))),
  column('attributes', 'jsonb', (r) => copyJson(r.span.attributes)),
  column('dropped_attributes_count', 'int8', (r) => String(r.span.droppedAttributesCount)),
  column('events', 'jsonb', (r) => copyJson(r.span.events)),
  column('dropped_events_count', 'int8', (r) => String(r.span.droppedEventsCount)),
  column('links', 'jsonb', (r) => copyJson(r.span.links)),
  column('dropped_links_count', 'int8', (r) => String(r.span.droppedLinksCount)),
  column('resource_scope_id', 'bytea', (r) => copyBytea(r.resourceScopeId)),
] as const;

export const copySpansSql = copyStatement('spans', spanColumns);

type Int8 = ColumnType<string, never, never>; // read as decimal strings
type Stored<T> = ColumnType<T, never, never>;

/** Rows are written by store/ with COPY (spanColumns), never through Kysely, hence `never` inserts. */
export interface SpansTable {
  site_id: Stored<string>;
  trace_id: Stored<Buffer>;
  span_id: Stored<Buffer>;
  parent_span_id: Stored<Buffer | null>;
  trace_state: Stored<string>;
  flags: Int8;
  name: Stored<string>;
  kind: Stored<number>;
  start_time: Stored<Date>;
  start_time_unix_nano: Int8;
  end_time_unix_nano: Int8;
  duration_ns: Int8;
  service_name: Stored<string>;
  status_code: Stored<number>;
  status_message: Stored<string>;
  http_route: Stored<string | null>;
  http_status_code: Stored<number | null>;
  attributes: Stored<KeyValueJson[]>;
  dropped_attributes_count: Int8;
  events: Stored<SpanEventJson[]>;
  dropped_events_count: Int8;
  links: Stored<SpanLinkJson[]>;
  dropped_links_count: Int8;
  /** The `id` of the span's row in resource_scopes (16 bytes). */
  resource_scope_id: Stored<Buffer>;
}

/** Fails to compile when SpansTable and spanColumns name different columns. */
export type SpansTableMatchesColumns = Assert<SameNames<keyof SpansTable, ColumnNames<typeof spanColumns>>>;
