import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { FailedAuthLimiter } from '@justanalytics/collector';
import type { KeyResolver, ResolvedKey } from '@justanalytics/collector/model';
import type { Database } from '../db/database.ts';
import { API_KEY_CHANGES_CHANNEL } from './api-key-changes.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-secret.ts';
import { ListenedSnapshot, type RunQuery } from './listened-snapshot.ts';
import { storedScopes } from './scopes.ts';

export interface ApiKeyResolverOptions {
  /**
   * The database's full connection string (the handle's `connectionString`).
   * start() opens a connection of its own there, outside the pool, that
   * LISTENs for key changes. Required by start().
   */
  connectionString?: string;
  /** Where reconnects and reload failures are reported. Default: nowhere. */
  logger?: Logger;
  /**
   * How often the whole key set is reloaded anyway, in case a change was not
   * announced (a key edited by hand in SQL), and the listening connection
   * checked. Without start(), a resolve() at least this long after the last
   * load reloads in the background. Default 30 s.
   */
  reloadIntervalMs?: number;
  /** First wait before reconnecting a lost listening connection; it doubles per failed attempt. Default 200 ms. */
  minReconnectDelayMs?: number;
  /** Longest wait between reconnect attempts. Default 10 s. */
  maxReconnectDelayMs?: number;
  /** The per-client limit of failed authentications. Default: a FailedAuthLimiter with its defaults. */
  failedAuthentications?: FailedAuthLimiter;
}

/**
 * Resolves presented keys against every live key of the api_keys table, held
 * in memory by the key's SHA-256 (secrets are never held). Keys are few, so
 * all of them fit: a good key is never evicted, and an unknown key costs a
 * hash and a map lookup, never a query.
 *
 * The key set is a ListenedSnapshot: start() loads it and LISTENs for
 * changes, which createApiKey and revokeApiKey announce at commit from any
 * process, so a created or revoked key takes effect within a second; a lost
 * connection is reopened and everything reloaded; a periodic full reload is
 * the safety net. close() stops it all. Without start() (tests, one-shot
 * tools), the keys are loaded on first use and reloaded at most once per
 * reloadIntervalMs.
 */
export class ApiKeyResolver implements KeyResolver {
  readonly failedAuthentications: FailedAuthLimiter;
  readonly #keys: ListenedSnapshot<Map<string, ResolvedKey>>;

  constructor(db: Kysely<Database>, options: ApiKeyResolverOptions = {}) {
    this.#keys = new ListenedSnapshot(db, {
      what: 'API keys',
      owner: 'api key resolver',
      channel: API_KEY_CHANGES_CHANNEL,
      applicationName: 'justanalytics-api-keys',
      load: (run) => fetchKeys(db, run),
      sizeOf: (keys) => keys.size,
      sizeField: 'apiKeys',
      connectionString: options.connectionString,
      logger: options.logger,
      reloadIntervalMs: options.reloadIntervalMs,
      minReconnectDelayMs: options.minReconnectDelayMs,
      maxReconnectDelayMs: options.maxReconnectDelayMs,
    });
    this.failedAuthentications = options.failedAuthentications ?? new FailedAuthLimiter();
  }

  /** Loads every live key and starts listening for changes. Rejects (and stops) if either fails. */
  start(): Promise<void> {
    return this.#keys.start();
  }

  /** Stops listening and reloading. Safe twice and before start(). */
  close(): Promise<void> {
    return this.#keys.close();
  }

  async resolve(secret: string): Promise<ResolvedKey | null> {
    if (!isWellFormedApiKey(secret)) return null;
    const keys = await this.#keys.get();
    return keys.get(hashApiKey(secret).toString('base64')) ?? null;
  }

  /** Full loads of the key set so far, each one query: for tests and metrics. */
  get loads(): number {
    return this.#keys.loads;
  }
}

async function fetchKeys(db: Kysely<Database>, run: RunQuery): Promise<Map<string, ResolvedKey>> {
  const rows = await run(db.selectFrom('api_keys').select(['id', 'site_id', 'scopes', 'secret_hash']).where('revoked_at', 'is', null));
  const keys = new Map<string, ResolvedKey>();
  for (const row of rows) {
    keys.set(row.secret_hash.toString('base64'), Object.freeze({ keyId: row.id, siteId: row.site_id, scopes: Object.freeze(storedScopes(row.scopes)) }));
  }
  return keys;
}
