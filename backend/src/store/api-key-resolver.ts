import type { Kysely } from 'kysely';
import type { KeyResolver, ResolvedKey } from '@justanalytics/collector';
import type { Database } from '../db/database.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-secret.ts';
import { storedScopes } from './scopes.ts';

export interface ApiKeyResolverOptions {
  /** How long a found key is trusted before it is looked up again (so a revocation takes effect within it). Default 10 s. */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown. Default 2 s. */
  missTtlMs?: number;
  /** Most keys remembered; the least recently used go first. Default 10,000. */
  maxEntries?: number;
  /** The clock, in milliseconds. Default Date.now. */
  now?: () => number;
}

interface CacheEntry {
  key: ResolvedKey | null;
  expiresAt: number;
}

/**
 * Resolves presented keys against the api_keys table with a short-lived cache,
 * so a busy exporter costs one lookup per TTL rather than one per request.
 * The cache is keyed by the key's hash: secrets are not held in memory.
 */
export class ApiKeyResolver implements KeyResolver {
  readonly #db: Kysely<Database>;
  readonly #ttlMs: number;
  readonly #missTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<ResolvedKey | null>>();

  constructor(db: Kysely<Database>, options: ApiKeyResolverOptions = {}) {
    this.#db = db;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#missTtlMs = options.missTtlMs ?? 2_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async resolve(secret: string): Promise<ResolvedKey | null> {
    if (!isWellFormedApiKey(secret)) return null;
    const hash = hashApiKey(secret);
    const cacheKey = hash.toString('hex');
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) {
      if (cached.expiresAt > this.#now()) {
        // Re-insert so the Map's order is least recently used first.
        this.#cache.delete(cacheKey);
        this.#cache.set(cacheKey, cached);
        return cached.key;
      }
      this.#cache.delete(cacheKey);
    }
    // Concurrent requests with the same key share one lookup.
    let lookup = this.#inFlight.get(cacheKey);
    if (lookup === undefined) {
      lookup = this.#lookup(hash).then(
        (key) => {
          this.#inFlight.delete(cacheKey);
          this.#remember(cacheKey, key);
          return key;
        },
        (error: unknown) => {
          this.#inFlight.delete(cacheKey); // errors are not cached
          throw error;
        },
      );
      this.#inFlight.set(cacheKey, lookup);
    }
    return lookup;
  }

  /** Forgets every cached answer, e.g. right after revoking a key in this process. */
  clear(): void {
    this.#cache.clear();
  }

  async #lookup(hash: Buffer): Promise<ResolvedKey | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select(['id', 'site_id', 'scopes'])
      .where('secret_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row ? { keyId: row.id, siteId: row.site_id, scopes: storedScopes(row.scopes) } : null;
  }

  #remember(cacheKey: string, key: ResolvedKey | null): void {
    this.#cache.set(cacheKey, { key, expiresAt: this.#now() + (key ? this.#ttlMs : this.#missTtlMs) });
    while (this.#cache.size > this.#maxEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
  }
}
