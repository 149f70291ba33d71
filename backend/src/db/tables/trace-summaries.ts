import type { ColumnType } from 'kysely';

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
}
