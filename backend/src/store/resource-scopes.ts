import { createHash } from 'node:crypto';
import { sanitizeString, type ResourceJson, type ScopeJson, type SpanRow } from '@justanalytics/collector';
import type pg from 'pg';
import { unnestInsert, unnestParams } from '../db/tables/columns.ts';
import { resourceScopeColumns } from '../db/tables/resource-scopes.ts';
import type { PartitionedTable } from '../db/partitions.ts';
import type { AfterCommit, SiteRows } from './signal-writer.ts';
import type { ParameterisedQuery } from './traces/trace-summaries.ts';

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
  /** Site, id and day: the table's primary key as text, for sorting and for WrittenResourceScopes. */
  key: string;
}

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

/**
 * The resource_scopes side of a signal writer whose rows carry a resource and
 * a scope: it writes a flush's rows not committed before and remembers them
 * once committed. Each writer has its own; two writers (spans, logs) sending
 * the same row once each is harmless, the insert skipping rows that exist.
 */
export class ResourceScopeWriter {
  readonly #written: WrittenResourceScopes;

  constructor(written = new WrittenResourceScopes()) {
    this.#written = written;
  }

  /**
   * Call after the flush's own COPY that refers to these rows. Which rows are
   * new is decided then: a partition dropped and made again by another flush
   * before that COPY has cleared the memory by now (the COPY could not have
   * gone into the new partition otherwise), and one dropped later waits for
   * this COMMIT and takes these rows with it. Also, the new rows' locks are
   * then held only until the COMMIT. The returned callback is for after it.
   */
  async write(client: pg.PoolClient, rows: readonly ResourceScopeRow[]): Promise<AfterCommit> {
    const generation = this.#written.generation;
    const fresh = this.#written.unwritten(rows);
    if (fresh.length > 0) {
      const upsert = upsertResourceScopesQuery(fresh);
      await client.query(upsert.text, upsert.values);
    }
    return () => this.#written.add(fresh, generation);
  }

  /** A resource_scopes partition made now may replace one that held rows remembered as written. */
  partitionsChanged(table?: PartitionedTable): void {
    if (table === undefined || table === 'resource_scopes') this.#written.clear();
  }
}
