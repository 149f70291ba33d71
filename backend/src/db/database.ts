import type { ApiKeysTable } from './tables/api-keys.ts';
import type { LogsTable } from './tables/logs.ts';
import type { MetricPointsTable } from './tables/metric-points.ts';
import type { MetricSeriesTable } from './tables/metric-series.ts';
import type { RedHoursTable, RedMinutesTable } from './tables/red-rollups.ts';
import type { ResourceScopesTable } from './tables/resource-scopes.ts';
import type { ServiceEdgeMinutesTable, ServiceEdgeProgressTable } from './tables/service-edges.ts';
import type { SitesTable } from './tables/sites.ts';
import type { SpansTable } from './tables/spans.ts';
import type { TraceSummariesTable } from './tables/trace-summaries.ts';

/** The Kysely schema: one entry per table, each defined in tables/. */
export interface Database {
  sites: SitesTable;
  api_keys: ApiKeysTable;
  spans: SpansTable;
  trace_summaries: TraceSummariesTable;
  resource_scopes: ResourceScopesTable;
  logs: LogsTable;
  metric_series: MetricSeriesTable;
  metric_points: MetricPointsTable;
  red_minutes: RedMinutesTable;
  red_hours: RedHoursTable;
  service_edge_minutes: ServiceEdgeMinutesTable;
  service_edge_progress: ServiceEdgeProgressTable;
}
