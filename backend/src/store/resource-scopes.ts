import type { ResourceJson, ScopeJson, SpanRow } from '@justanalytics/collector';
import { unnestInsert, unnestParams } from '../db/tables/columns.ts';
import { resourceScopeColumns } from '../db/tables/resource-scopes.ts';
import { contentId } from './content-id.ts';
import { DailyRowWriter, WrittenDailyRows } from './daily-rows.ts';
import type { ParameterisedQuery } from './parameterised-query.ts';
import type { SiteRows } from './signal-writer.ts';

/** What a row of any signal that carries OTLP's resource and scope (spans, logs) has of them. */
export type ResourceScopeFields = Pick<SpanRow, 'resource' | 'resourceSchemaUrl' | 'scope' | 'scopeSchemaUrl'>;

/** One distinct (resource, scope) pair of a flush, with the id spans refer to it by. */
export interface ResourceScope {
  /** 16 bytes: see resourceScopeId. */
  id: Buffer;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}

/** A resource_scopes row a flush needs: one pair of one site on one UTC day. */
export interface ResourceScopeRow {
  siteId: string;
  day: number;
  pair: ResourceScope;
  /** Site, id and day: the table's primary key as text, for sorting and for WrittenDailyRows. */
  key: string;
}

/**
 * The id of a (resource, scope) pair: the first 16 bytes of the SHA-256 of a
 * canonical serialisation of the four values as they are stored (object keys
 * sorted, strings made storable). Equal content gives an equal id whatever
 * object or key order it came in, so the id needs no lookup to be made.
 */
export function resourceScopeId(resource: ResourceJson, resourceSchemaUrl: string, scope: ScopeJson, scopeSchemaUrl: string): Buffer {
  return contentId([resourceSchemaUrl, resource, scopeSchemaUrl, scope]);
}

/**
 * The pairs of one flush. The decoder shares one resource object and one
 * scope object among the rows they cover, so a pair is looked up by object
 * identity and its id hashed once per flush, not once per row.
 */
export class ResourceScopeIds {
  readonly #byResource = new Map<ResourceJson, Map<ScopeJson, ResourceScope[]>>();

  of(row: ResourceScopeFields): ResourceScope {
    let byScope = this.#byResource.get(row.resource);
    if (byScope === undefined) {
      byScope = new Map();
      this.#byResource.set(row.resource, byScope);
    }
    let pairs = byScope.get(row.scope);
    if (pairs === undefined) {
      pairs = [];
      byScope.set(row.scope, pairs);
    }
    // Nearly always one entry: the schema URLs come with the resource and scope.
    for (const pair of pairs) {
      if (pair.resourceSchemaUrl === row.resourceSchemaUrl && pair.scopeSchemaUrl === row.scopeSchemaUrl) return pair;
    }
    const pair: ResourceScope = {
      id: resourceScopeId(row.resource, row.resourceSchemaUrl, row.scope, row.scopeSchemaUrl),
      resource: row.resource,
      resourceSchemaUrl: row.resourceSchemaUrl,
      scope: row.scope,
      scopeSchemaUrl: row.scopeSchemaUrl,
    };
    pairs.push(pair);
    return pair;
  }
}

/**
 * The distinct (site, id, day) rows the rows of a flush refer to, sorted by
 * that key so that concurrent upserts lock rows in the same order.
 */
export function resourceScopeRows(writes: readonly SiteRows<ResourceScopeFields>[], ids: ResourceScopeIds): ResourceScopeRow[] {
  const byKey = new Map<string, ResourceScopeRow>();
  for (const { siteId, rows } of writes) {
    // Days per pair object first: a map lookup per row, no string built per row.
    const days = new Map<ResourceScope, Set<number>>();
    for (const { row, day } of rows) {
      const pair = ids.of(row);
      let pairDays = days.get(pair);
      if (pairDays === undefined) {
        pairDays = new Set();
        days.set(pair, pairDays);
      }
      pairDays.add(day);
    }
    for (const [pair, pairDays] of days) {
      const hex = pair.id.toString('hex');
      for (const day of pairDays) {
        const key = `${siteId}/${hex}/${day}`;
        if (!byKey.has(key)) byKey.set(key, { siteId, day, pair, key });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// Every day's row of an id holds the same content, so a row already there is left alone.
const upsertSql = `${unnestInsert('resource_scopes', resourceScopeColumns)}
ON CONFLICT (site_id, id, day) DO NOTHING`;

/** The upsert of a flush's resource_scopes rows (already sorted by resourceScopeRows). */
export function upsertResourceScopesQuery(rows: readonly ResourceScopeRow[]): ParameterisedQuery {
  return { text: upsertSql, values: unnestParams(resourceScopeColumns, rows) };
}

/** The resource_scopes rows this process has committed (see WrittenDailyRows); one memory for every signal's writer. */
export class WrittenResourceScopes extends WrittenDailyRows<ResourceScopeRow> {
  constructor(maxKeys = 100_000) {
    super(maxKeys);
  }
}

/** The resource_scopes side of a signal writer whose rows carry a resource and a scope (see DailyRowWriter). */
export class ResourceScopeWriter extends DailyRowWriter<ResourceScopeRow> {
  constructor(written = new WrittenResourceScopes()) {
    super('resource_scopes', upsertResourceScopesQuery, written);
  }
}
