import { createHash } from 'node:crypto';
import { sanitizeString, type ResourceJson, type ScopeJson, type SpanRow } from '@justanalytics/collector';
import { storableJson } from './copy-text.ts';
import type { SiteSpans } from './span-admission.ts';
import type { ParameterisedQuery } from './trace-summaries.ts';

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
  /** Site, id and day: the table's primary key as text, for sorting and for WrittenResourceScopes. */
  key: string;
}

const dayMs = 86_400_000;

/**
 * The id of a (resource, scope) pair: the first 16 bytes of the SHA-256 of a
 * canonical serialisation of the four values as they are stored (object keys
 * sorted, strings made storable). Equal content gives an equal id whatever
 * object or key order it came in, so the id needs no lookup to be made.
 */
export function resourceScopeId(resource: ResourceJson, resourceSchemaUrl: string, scope: ScopeJson, scopeSchemaUrl: string): Buffer {
  const canonical = canonicalJson([resourceSchemaUrl, resource, scopeSchemaUrl, scope]);
  return createHash('sha256').update(canonical).digest().subarray(0, 16);
}

function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(sanitizeString(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(sanitizeString(key))}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The pairs of one flush. The decoder shares one resource object and one
 * scope object among the spans they cover, so a pair is looked up by object
 * identity and its id hashed once per flush, not once per span.
 */
export class ResourceScopeIds {
  readonly #byResource = new Map<ResourceJson, Map<ScopeJson, ResourceScope[]>>();

  of(row: SpanRow): ResourceScope {
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
 * The distinct (site, id, day) rows the spans of a flush refer to, sorted by
 * that key so that concurrent upserts lock rows in the same order.
 */
export function resourceScopeRows(writes: readonly SiteSpans[], ids: ResourceScopeIds): ResourceScopeRow[] {
  const byKey = new Map<string, ResourceScopeRow>();
  for (const { siteId, spans } of writes) {
    // Days per pair object first: a map lookup per span, no string built per span.
    const days = new Map<ResourceScope, Set<number>>();
    for (const { row, day } of spans) {
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
const upsertSql = `
INSERT INTO resource_scopes (site_id, day, id, resource, resource_schema_url, scope, scope_schema_url)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bytea[], $4::jsonb[], $5::text[], $6::jsonb[], $7::text[])
ON CONFLICT (site_id, id, day) DO NOTHING`;

/** The upsert of a flush's resource_scopes rows (already sorted by resourceScopeRows). */
export function upsertResourceScopesQuery(rows: readonly ResourceScopeRow[]): ParameterisedQuery {
  const siteIds: string[] = [];
  const days: string[] = [];
  const ids: Buffer[] = [];
  const resources: string[] = [];
  const resourceSchemaUrls: string[] = [];
  const scopes: string[] = [];
  const scopeSchemaUrls: string[] = [];
  for (const { siteId, day, pair } of rows) {
    siteIds.push(siteId);
    days.push(new Date(day * dayMs).toISOString());
    ids.push(pair.id);
    resources.push(storableJson(pair.resource));
    resourceSchemaUrls.push(sanitizeString(pair.resourceSchemaUrl));
    scopes.push(storableJson(pair.scope));
    scopeSchemaUrls.push(sanitizeString(pair.scopeSchemaUrl));
  }
  return { text: upsertSql, values: [siteIds, days, ids, resources, resourceSchemaUrls, scopes, scopeSchemaUrls] };
}

/**
 * The resource_scopes rows this process has committed, so that a flush sends
 * only the new ones. Bounded: past maxKeys it starts again from empty (the
 * upsert tolerates rows that exist). It must be cleared whenever a partition
 * may have been dropped and made again, or spans would refer to rows that are
 * gone.
 */
export class WrittenResourceScopes {
  readonly #keys = new Set<string>();
  readonly #maxKeys: number;
  #generation = 0;

  constructor(maxKeys = 100_000) {
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** The rows not known to be in the table. */
  unwritten(rows: readonly ResourceScopeRow[]): ResourceScopeRow[] {
    return rows.filter((row) => !this.#keys.has(row.key));
  }

  /** Changes on every clear(); taken before a flush starts and handed to add(). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Call after the COMMIT that wrote them, with the generation taken before
   * the flush: when a clear() came in between (a partition dropped meanwhile,
   * perhaps under these very rows), they are not remembered.
   */
  add(rows: readonly ResourceScopeRow[], generation: number): void {
    if (generation !== this.#generation) return;
    if (this.#keys.size + rows.length > this.#maxKeys) this.#keys.clear();
    for (const row of rows) this.#keys.add(row.key);
  }

  clear(): void {
    this.#keys.clear();
    this.#generation++;
  }
}
