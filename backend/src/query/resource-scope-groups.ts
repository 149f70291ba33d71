import type { Kysely } from 'kysely';
import type { ResourceJson, ScopeJson } from '@justanalytics/collector/model';
import type { Database } from '../db/database.ts';
import { utcDay } from './time-range.ts';

// OTLP/JSON answers (TracesData, LogsData) nest their items by resource and
// scope. Spans and log records refer to the shared resource_scopes rows by id;
// this module turns a list of items with such ids back into that nesting.

/** A stored resource and scope, with the keys items are grouped by in the OTLP/JSON. */
export interface ResourceScopeGroup {
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
  resourceKey: string;
  scopeKey: string;
}

// Only if a resource_scopes row was lost (a partition dropped by hand): the items still come back.
const missingResourceScope: ResourceScopeGroup = {
  resource: { attributes: [], droppedAttributesCount: 0 },
  resourceSchemaUrl: '',
  scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
  scopeSchemaUrl: '',
  resourceKey: '',
  scopeKey: '',
};

/**
 * The resource and scope of each distinct id, by id in hex. Every day's row of
 * an id holds the same content (the id is its hash), so any one will do; the
 * items' day range, when known, spares the other partitions.
 */
export async function resourceScopeGroups(
  db: Kysely<Database>,
  siteId: string,
  ids: readonly Buffer[],
  range: { from: Date; to: Date } | null,
): Promise<Map<string, ResourceScopeGroup>> {
  const groups = new Map<string, ResourceScopeGroup>();
  if (ids.length === 0) return groups;
  const distinct = [...new Map(ids.map((id) => [id.toString('hex'), id])).values()];
  let query = db
    .selectFrom('resource_scopes')
    .where('site_id', '=', siteId)
    .where('id', 'in', distinct)
    .distinctOn('id')
    .select(['id', 'resource', 'resource_schema_url', 'scope', 'scope_schema_url'])
    .orderBy('id');
  if (range !== null) query = query.where('day', '>=', utcDay(range.from)).where('day', '<', range.to);
  for (const row of await query.execute()) {
    groups.set(row.id.toString('hex'), {
      resource: row.resource,
      resourceSchemaUrl: row.resource_schema_url,
      scope: row.scope,
      scopeSchemaUrl: row.scope_schema_url,
      // jsonb keeps objects in a canonical key order, so equal values stringify equally.
      resourceKey: `${row.resource_schema_url}\n${JSON.stringify(row.resource)}`,
      scopeKey: `${row.scope_schema_url}\n${JSON.stringify(row.scope)}`,
    });
  }
  return groups;
}

/** Items of one scope of one resource, in the order they were given. */
export interface ScopeGroup<T> {
  scope: ScopeJson;
  schemaUrl: string;
  items: T[];
}

export interface ResourceGroup<T> {
  resource: ResourceJson;
  schemaUrl: string;
  scopes: ScopeGroup<T>[];
}

/**
 * Nests items by resource (and its schema URL), then scope (and its schema
 * URL), keeping the items' order within each scope; resources and scopes come
 * in the order of their first item.
 */
export function groupByResourceScope<T>(
  items: readonly T[],
  resourceScopeIdOf: (item: T) => Buffer,
  groups: ReadonlyMap<string, ResourceScopeGroup>,
): ResourceGroup<T>[] {
  const resources = new Map<string, { group: ResourceGroup<T>; scopes: Map<string, ScopeGroup<T>> }>();
  for (const item of items) {
    const pair = groups.get(resourceScopeIdOf(item).toString('hex')) ?? missingResourceScope;
    let resource = resources.get(pair.resourceKey);
    if (resource === undefined) {
      resource = { group: { resource: resourceJson(pair.resource), schemaUrl: pair.resourceSchemaUrl, scopes: [] }, scopes: new Map() };
      resources.set(pair.resourceKey, resource);
    }
    let scope = resource.scopes.get(pair.scopeKey);
    if (scope === undefined) {
      scope = { scope: scopeJson(pair.scope), schemaUrl: pair.scopeSchemaUrl, items: [] };
      resource.scopes.set(pair.scopeKey, scope);
      resource.group.scopes.push(scope);
    }
    scope.items.push(item);
  }
  return [...resources.values()].map((resource) => resource.group);
}

function resourceJson(resource: ResourceJson): ResourceJson {
  return { attributes: resource.attributes ?? [], droppedAttributesCount: resource.droppedAttributesCount ?? 0 };
}

function scopeJson(scope: ScopeJson): ScopeJson {
  return {
    name: scope.name ?? '',
    version: scope.version ?? '',
    attributes: scope.attributes ?? [],
    droppedAttributesCount: scope.droppedAttributesCount ?? 0,
  };
}
