import type { ColumnType } from 'kysely';
import type { KeyValueJson, SpanEventJson, SpanLinkJson } from '@justanalytics/collector';

type Int8 = ColumnType<string, never, never>; // written by COPY only; read as decimal strings
type Json<T> = ColumnType<T, never, never>;

/** Rows are written by store/ with COPY, never through Kysely, hence `never` inserts. */
export interface SpansTable {
  site_id: ColumnType<string, never, never>;
  trace_id: ColumnType<Buffer, never, never>;
  span_id: ColumnType<Buffer, never, never>;
  parent_span_id: ColumnType<Buffer | null, never, never>;
  trace_state: ColumnType<string, never, never>;
  flags: Int8;
  name: ColumnType<string, never, never>;
  kind: ColumnType<number, never, never>;
  start_time: ColumnType<Date, never, never>;
  start_time_unix_nano: Int8;
  end_time_unix_nano: Int8;
  duration_ns: Int8;
  service_name: ColumnType<string, never, never>;
  status_code: ColumnType<number, never, never>;
  status_message: ColumnType<string, never, never>;
  http_route: ColumnType<string | null, never, never>;
  http_status_code: ColumnType<number | null, never, never>;
  attributes: Json<KeyValueJson[]>;
  dropped_attributes_count: Int8;
  events: Json<SpanEventJson[]>;
  dropped_events_count: Int8;
  links: Json<SpanLinkJson[]>;
  dropped_links_count: Int8;
  /** The `id` of the span's row in resource_scopes (16 bytes). */
  resource_scope_id: ColumnType<Buffer, never, never>;
}
