import type { ColumnType } from 'kysely';
import type { ResourceJson, ScopeJson } from '@justanalytics/collector';
import { storableJson } from '../copy-text.ts';
import { dayStart } from '../days.ts';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';

type Stored<T> = ColumnType<T, never, never>;

/** What one resource_scopes row is made from: a (resource, scope) pair of a site on a UTC day. */
export interface ResourceScopeInsert {
  siteId: string;
  day: number;
  pair: { id: Buffer; resource: ResourceJson; resourceSchemaUrl: string; scope: ScopeJson; scopeSchemaUrl: string };
}

const column = paramColumnsOf<ResourceScopeInsert>();

/** The columns of resource_scopes in table order, each with a row's value. */
export const resourceScopeColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('day', 'timestamptz', (r) => dayStart(r.day).toISOString()),
  column('id', 'bytea', (r) => r.pair.id),
  column('resource', 'jsonb', (r) => storableJson(r.pair.resource)),
  column('resource_schema_url', 'text', (r) => r.pair.resourceSchemaUrl),
  column('scope', 'jsonb', (r) => storableJson(r.pair.scope)),
  column('scope_schema_url', 'text', (r) => r.pair.scopeSchemaUrl),
] as const;

/**
 * One (resource, scope) pair of a site per UTC day, referred to by
 * spans.resource_scope_id. Rows are written by store/ with an unnest upsert
 * (resourceScopeColumns), never through Kysely, hence `never` inserts.
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

/** Fails to compile when ResourceScopesTable and resourceScopeColumns name different columns. */
export type ResourceScopesTableMatchesColumns = Assert<SameNames<keyof ResourceScopesTable, ColumnNames<typeof resourceScopeColumns>>>;
