import { sql, type Kysely } from 'kysely';
import type { MetricType } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { addDays, utcDay, type TimeRange } from '../time-range.ts';
import { MAX_ATTRIBUTE_KEYS_LISTED, MAX_METRICS_LISTED } from './metric-limits.ts';

export interface MetricSummary {
  name: string;
  type: MetricType;
  unit: string;
  /** AggregationTemporality: 0 gauges and summaries, 1 delta, 2 cumulative. */
  temporality: number;
  monotonic: boolean;
  /** The latest day's description. */
  description: string;
  /** Distinct series with points on the range's days. */
  seriesCount: number;
  /** Keys of the points' own attributes, sorted, at most MAX_ATTRIBUTE_KEYS_LISTED. */
  attributeKeys: string[];
  /** Keys of the series' resource attributes, sorted, at most MAX_ATTRIBUTE_KEYS_LISTED. */
  resourceAttributeKeys: string[];
}

export interface MetricCatalog {
  metrics: MetricSummary[];
  /** True when there were more than MAX_METRICS_LISTED metrics (the first ones by name are listed). */
  truncated: boolean;
}

/**
 * The metrics of one site with series on the UTC days [start, end) touches
 * (series are kept per day), by name; a metric sent with two types or units
 * is listed once per kind.
 */
export async function listMetrics(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<MetricCatalog> {
  const from = utcDay(range.start);
  const to = addDays(utcDay(range.end), 1);
  const metrics = await sql<{ name: string; type: MetricType; unit: string; temporality: number; monotonic: boolean; description: string; series_count: string }>`
    SELECT metric_name AS name, type, unit, temporality, monotonic,
      (array_agg(description ORDER BY day DESC))[1] AS description, count(DISTINCT id) AS series_count
    FROM metric_series
    WHERE site_id = ${siteId} AND day >= ${from} AND day < ${to}
    GROUP BY metric_name, type, unit, temporality, monotonic
    ORDER BY metric_name, type, unit, temporality, monotonic
    LIMIT ${MAX_METRICS_LISTED + 1}`.execute(db);
  const listed = metrics.rows.slice(0, MAX_METRICS_LISTED);
  const names = [...new Set(listed.map((m) => m.name))];
  const keys = names.length === 0 ? [] : (await sql<{ name: string; kind: 'point' | 'resource'; keys: string[] }>`
    WITH s AS (
      SELECT DISTINCT ON (s.site_id, s.id) s.metric_name, s.attributes, rs.resource
      FROM metric_series s JOIN resource_scopes rs ON rs.site_id = s.site_id AND rs.id = s.resource_scope_id AND rs.day = s.day
      WHERE s.site_id = ${siteId} AND s.day >= ${from} AND s.day < ${to} AND s.metric_name = ANY(${names}::text[])
      ORDER BY s.site_id, s.id),
    k AS (
      SELECT DISTINCT metric_name AS name, 'point' AS kind, a->>'key' AS key FROM s, jsonb_array_elements(s.attributes) a
      UNION
      SELECT DISTINCT metric_name, 'resource', a->>'key' FROM s, jsonb_array_elements(s.resource->'attributes') a)
    SELECT name, kind, (array_agg(key ORDER BY key))[1:${MAX_ATTRIBUTE_KEYS_LISTED}] AS keys FROM k GROUP BY name, kind`.execute(db)).rows;
  const keysOf = new Map(keys.map((row) => [`${row.kind}/${row.name}`, row.keys]));
  return {
    metrics: listed.map((m) => ({
      name: m.name,
      type: m.type,
      unit: m.unit,
      temporality: m.temporality,
      monotonic: m.monotonic,
      description: m.description,
      seriesCount: Number(m.series_count),
      attributeKeys: keysOf.get(`point/${m.name}`) ?? [],
      resourceAttributeKeys: keysOf.get(`resource/${m.name}`) ?? [],
    })),
    truncated: metrics.rows.length > MAX_METRICS_LISTED,
  };
}
