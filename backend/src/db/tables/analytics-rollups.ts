import type { ColumnType } from 'kysely';

type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>;

/**
 * Rollups per site, bucket and dimension value, written only by the
 * analytics-rollups job (it replaces a dirty bucket's rows). dimension ''
 * value '' is the whole site.
 */
export interface AnalyticsRollupsTable {
  site_id: string;
  /** The bucket's UTC start. */
  bucket: Date;
  /** The bucket's length in minutes: 60 (UTC hours) or 1440 (UTC days); quarter hours are never stored. */
  grain: number;
  dimension: string;
  value: string;
  /** A serialized visitor sketch (rollups/visitor-sketch.ts). */
  visitors: Buffer;
  /** For event dimensions, a sketch of the session IDs; else null. */
  visit_sketch: Buffer | null;
  visits: Int8;
  pageviews: Int8;
  events: Int8;
  bounces: Int8;
  duration_ms: Int8;
}

/** 15-minute buckets changed since the job last rolled them up (marked by the store in each flush). */
export interface AnalyticsDirtyBucketsTable {
  site_id: string;
  bucket: Date;
  marked_at: Date;
}
