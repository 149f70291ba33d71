import type { ColumnType } from 'kysely';
import type { ResourceJson, ScopeJson } from '@justanalytics/collector';

type Stored<T> = ColumnType<T, never, never>;

/**
 * One (resource, scope) pair of a site per UTC day, referred to by
 * spans.resource_scope_id. Rows are written by store/ with an unnest upsert,
 * never through Kysely, hence `never` inserts.
 */
export interface ResourceScopesTable {
  site_id: Stored<string>;
  day: Stored<Date>;
  /** 16 bytes: a hash of the other four values, the same on every day. */
  id: Stored<Buffer>;
  resource: Stored<ResourceJson>;
  resource_schema_url: Stored<string>;
  scope: Stored<ScopeJson>;
  scope_schema_url: Stored<string>;
}
