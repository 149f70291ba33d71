import type { Kysely } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { FailedAuthLimiter } from '@justanalytics/collector';
import type { KeyResolver, ResolvedKey } from '@justanalytics/collector/model';
import type { Database } from '../db/database.ts';
import { API_KEY_CHANGES_CHANNEL } from './api-key-changes.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-secret.ts';
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

/** After a failed first load, resolve() fails without a query for this long, so a flood cannot hammer a sick database. */
const FAILED_LOAD_HOLD_MS = 1_000;
/** Longest a query on the listening connection may take before the connection is treated as lost. */
const LISTEN_QUERY_TIMEOUT_MS = 10_000;

type State = 'new' | 'starting' | 'started' | 'closed';

/**
 * Resolves presented keys against every live key of the api_keys table, held
 * in memory by the key's SHA-256 (secrets are never held). Keys are few, so
 * all of them fit: a good key is never evicted, and an unknown key costs a
 * hash and a map lookup, never a query.
 *
 * start() loads the keys and LISTENs for changes on a connection of its own:
 * createApiKey and revokeApiKey announce each change at commit, from any
 * process, and every started resolver reloads on it, so a created or revoked
 * key takes effect within a second. A lost connection is reopened with
 * backoff and everything reloaded (announcements were missed meanwhile);
 * the last key set keeps answering until then. A periodic full reload is the
 * safety net. close() stops it all.
 *
 * Without start() (tests, one-shot tools), the keys are loaded on first use
 * and reloaded at most once per reloadIntervalMs.
 */
export class ApiKeyResolver implements KeyResolver {
  readonly failedAuthentications: FailedAuthLimiter;
  readonly #db: Kysely<Database>;
  readonly #connectionString: string | undefined;
  readonly #logger: Logger;
  readonly #reloadIntervalMs: number;
  readonly #minReconnectDelayMs: number;
  readonly #maxReconnectDelayMs: number;

  /** Live keys by the base64 of their SHA-256; null until the first load. */
  #keys: Map<string, ResolvedKey> | null = null;
  #loads = 0;
  #loading: Promise<void> | null = null;
  #loadAgain = false;
  #lastLoadStartedAt = Number.NEGATIVE_INFINITY;
  #firstLoadFailedAt = Number.NEGATIVE_INFINITY;
  #firstLoadFailure: unknown = null;

  #state: State = 'new';
  /** The listening connection while it is (being) opened; null while lost. */
  #listener: pg.Client | null = null;
  #reconnectAttempts = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #reloadTimer: NodeJS.Timeout | null = null;

  constructor(db: Kysely<Database>, options: ApiKeyResolverOptions = {}) {
    this.#db = db;
    this.#connectionString = options.connectionString;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#reloadIntervalMs = positive(options.reloadIntervalMs ?? 30_000, 'reloadIntervalMs');
    this.#minReconnectDelayMs = positive(options.minReconnectDelayMs ?? 200, 'minReconnectDelayMs');
    this.#maxReconnectDelayMs = Math.max(this.#minReconnectDelayMs, positive(options.maxReconnectDelayMs ?? 10_000, 'maxReconnectDelayMs'));
    this.failedAuthentications = options.failedAuthentications ?? new FailedAuthLimiter();
  }

  /** Loads every live key and starts listening for changes. Rejects (and stops) if either fails. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`api key resolver: start() when ${this.#state}`);
    if (this.#connectionString === undefined) throw new TypeError('api key resolver: start() needs options.connectionString');
    this.#state = 'starting';
    try {
      await this.#listen();
    } catch (error) {
      await this.close();
      throw error;
    }
    if (this.#state !== 'starting') throw new Error('api key resolver: closed while starting');
    this.#state = 'started';
    this.#reloadTimer = setInterval(() => this.#periodicReload(), this.#reloadIntervalMs);
    this.#reloadTimer.unref();
    this.#logger.info({ apiKeys: this.#keys?.size ?? 0 }, 'API keys loaded; listening for changes');
  }

  /** Stops listening and reloading. Safe twice and before start(). */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#reloadTimer !== null) clearInterval(this.#reloadTimer);
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#reloadTimer = this.#reconnectTimer = null;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => undefined);
  }

  async resolve(secret: string): Promise<ResolvedKey | null> {
    if (!isWellFormedApiKey(secret)) return null;
    let keys = this.#keys;
    if (keys === null) {
      keys = await this.#firstLoad();
    } else if (this.#state === 'new' && this.#loading === null && performance.now() - this.#lastLoadStartedAt >= this.#reloadIntervalMs) {
      this.#reload().catch((error: unknown) => this.#logger.warn({ error: messageOf(error) }, 'reloading API keys failed'));
    }
    return keys.get(hashApiKey(secret).toString('base64')) ?? null;
  }

  /** Full loads of the key set so far, each one query: for tests and metrics. */
  get loads(): number {
    return this.#loads;
  }

  async #firstLoad(): Promise<Map<string, ResolvedKey>> {
    if (this.#loading === null && performance.now() - this.#firstLoadFailedAt < FAILED_LOAD_HOLD_MS) {
      throw new Error('API keys could not be loaded', { cause: this.#firstLoadFailure });
    }
    try {
      // Joining a load under way is enough: nothing newer prompted this one.
      await (this.#loading ?? this.#reload());
    } catch (error) {
      this.#firstLoadFailedAt = performance.now();
      this.#firstLoadFailure = error;
      throw error;
    }
    if (this.#keys === null) throw new Error('API keys could not be loaded');
    return this.#keys;
  }

  /**
   * Replaces the key set with a fresh load. Calls during a load share it, and
   * one more load follows it: what prompted them may be newer than the
   * snapshot the running load reads.
   */
  #reload(): Promise<void> {
    if (this.#loading !== null) {
      this.#loadAgain = true;
      return this.#loading;
    }
    const loading = (async () => {
      try {
        do {
          this.#loadAgain = false;
          this.#lastLoadStartedAt = performance.now();
          this.#keys = await this.#fetchKeys();
          this.#loads++;
        } while (this.#loadAgain);
      } finally {
        this.#loading = null;
      }
    })();
    this.#loading = loading;
    return loading;
  }

  async #fetchKeys(): Promise<Map<string, ResolvedKey>> {
    const query = this.#db.selectFrom('api_keys').select(['id', 'site_id', 'scopes', 'secret_hash']).where('revoked_at', 'is', null);
    let rows: Array<{ id: string; site_id: string; scopes: string[]; secret_hash: Buffer }>;
    if (this.#state === 'starting' || this.#state === 'started') {
      // On the listening connection: an announcement of a commit after this
      // query's snapshot is delivered after its result, and prompts another load.
      const listener = this.#listener;
      if (listener === null) throw new Error('the connection listening for API key changes is down');
      const compiled = query.compile();
      rows = (await listener.query<(typeof rows)[number]>(compiled.sql, [...compiled.parameters])).rows;
    } else {
      rows = await query.execute();
    }
    const keys = new Map<string, ResolvedKey>();
    for (const row of rows) {
      keys.set(row.secret_hash.toString('base64'), Object.freeze({ keyId: row.id, siteId: row.site_id, scopes: Object.freeze(storedScopes(row.scopes)) }));
    }
    return keys;
  }

  /** Opens the listening connection, LISTENs, then loads every key through it. */
  async #listen(): Promise<void> {
    const listener = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'justanalytics-api-keys',
      connectionTimeoutMillis: 10_000,
      query_timeout: LISTEN_QUERY_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Stays attached after the connection is dropped: an 'error' nobody
    // listens to would crash the process.
    listener.on('error', (error) => this.#lost(listener, error));
    listener.on('end', () => this.#lost(listener, null));
    listener.on('notification', (message) => {
      if (message.channel === API_KEY_CHANGES_CHANNEL && listener === this.#listener) {
        this.#reload().catch((error: unknown) => this.#lost(listener, error));
      }
    });
    this.#listener = listener;
    try {
      await listener.connect();
      await listener.query(`LISTEN ${API_KEY_CHANGES_CHANNEL}`);
      await this.#reload();
    } catch (error) {
      this.#lost(listener, error);
      throw error;
    }
  }

  /** The listening connection failed or ended: drop it and, while started, reconnect later. */
  #lost(listener: pg.Client, error: unknown): void {
    if (listener !== this.#listener) return;
    this.#listener = null;
    listener.end().catch(() => undefined);
    if (this.#state !== 'started') return;
    this.#logger.warn({ error: error === null ? 'connection ended' : messageOf(error) }, 'lost the connection listening for API key changes; reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer !== null || this.#state !== 'started') return;
    const ceiling = Math.min(this.#maxReconnectDelayMs, this.#minReconnectDelayMs * 2 ** this.#reconnectAttempts);
    this.#reconnectAttempts++;
    // Jittered, so that every process of a fleet does not come back at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state !== 'started') return;
      this.#listen().then(
        () => {
          this.#reconnectAttempts = 0;
          this.#logger.info({ apiKeys: this.#keys?.size ?? 0 }, 'listening for API key changes again; keys reloaded');
        },
        // #listen has dropped the connection and scheduled the next attempt.
        () => undefined,
      );
    }, delay);
  }

  #periodicReload(): void {
    const listener = this.#listener;
    // While the connection is down the reconnect reloads; nothing to do here.
    if (listener === null || this.#state !== 'started') return;
    this.#reload().catch((error: unknown) => this.#lost(listener, error));
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`api key resolver: options.${name} must be a positive number, got ${String(value)}`);
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
