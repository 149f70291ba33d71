import type { AnalyticsDropsTable } from './tables/analytics-drops.ts';
import type { AnalyticsDirtyBucketsTable, AnalyticsRollupsTable } from './tables/analytics-rollups.ts';
import type { AnalyticsFunnelsTable, AnalyticsGoalsTable } from './tables/analytics-saved.ts';
import type { ApiKeysTable } from './tables/api-keys.ts';
import type { EventsTable } from './tables/events.ts';
import type { IdentitiesTable } from './tables/identities.ts';
import type { LogsTable } from './tables/logs.ts';
import type { MetricPointsTable } from './tables/metric-points.ts';
import type { MetricSeriesTable } from './tables/metric-series.ts';
import type { RedHoursTable, RedMinutesTable } from './tables/red-rollups.ts';
import type { ResourceScopesTable } from './tables/resource-scopes.ts';
import type { SessionsTable } from './tables/sessions.ts';
import type { ServiceEdgeMinutesTable, ServiceEdgeProgressTable } from './tables/service-edges.ts';
import type { SitesTable } from './tables/sites.ts';
import type { SpansTable } from './tables/spans.ts';
import type { TraceSummariesTable } from './tables/trace-summaries.ts';
import type { VisitorSaltsTable } from './tables/visitor-salts.ts';

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
  events: EventsTable;
  sessions: SessionsTable;
  identities: IdentitiesTable;
  visitor_salts: VisitorSaltsTable;
  analytics_drops: AnalyticsDropsTable;
  analytics_funnels: AnalyticsFunnelsTable;
  analytics_goals: AnalyticsGoalsTable;
  analytics_rollups: AnalyticsRollupsTable;
  analytics_dirty_buckets: AnalyticsDirtyBucketsTable;
}
