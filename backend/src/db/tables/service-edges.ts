import type { ColumnType } from 'kysely';

type Int8 = ColumnType<string, string, string>; // read as decimal strings

/** One edge of one site in one minute: written by jobs/service-edges.ts, read by the service map. */
export interface ServiceEdgeMinutesTable {
  site_id: Int8;
  /** The minute the calls started in. */
  time: Date;
  source: string;
  target: string;
  /** service, database, cache, queue or external. */
  target_type: string;
  /** http, rpc, messaging or database. */
  connection: string;
  call_count: Int8;
  error_count: Int8;
  /** The latency sketch (rollups/latency-sketch.ts): bucket indexes ascending and each one's count. */
  latency_buckets: number[];
  latency_counts: ColumnType<string[], string[], string[]>;
}

/** The one row saying which minutes service_edge_minutes holds. */
export interface ServiceEdgeProgressTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  computed_from: Date;
  computed_until: Date;
}
