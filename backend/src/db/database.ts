import type { ApiKeysTable } from './tables/api-keys.ts';
import type { LogsTable } from './tables/logs.ts';
import type { ResourceScopesTable } from './tables/resource-scopes.ts';
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
}
