import type { Compilable, Kysely } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Database } from '../db/database.ts';

/** Runs one query of a load: on the listening connection once started, else on the pool. */
export type RunQuery = <Row>(query: Compilable<Row>) => Promise<Row[]>;

export interface ListenedSnapshotOptions<T> {
  /** What is held, for log messages: 'API keys', 'sites'. */
  what: string;
  /** Who holds it, for errors: 'api key resolver', 'site directory'. */
  owner: string;
  /** The NOTIFY channel changes are announced on. */
  channel: string;
  /** application_name of the listening connection. */
  applicationName: string;
  /** Loads the whole snapshot. */
  load(run: RunQuery): Promise<T>;
  /** The size of a snapshot and its field name, for the start and reconnect log lines ('apiKeys'). */
  sizeOf?(snapshot: T): number;
  sizeField?: string;
  /**
   * The database's full connection string (the handle's `connectionString`).
   * start() opens a connection of its own there, outside the pool, that
   * LISTENs for changes. Required by start().
   */
  connectionString?: string;
  /** Where reconnects and reload failures are reported. Default: nowhere. */
  logger?: Logger;
  /**
   * How often the whole snapshot is reloaded anyway, in case a change was not
   * announced (a row edited by hand in SQL), and the listening connection
   * checked. Without start(), a get() at least this long after the last load
   * reloads in the background. Default 30 s.
   */
  reloadIntervalMs?: number;
  /** First wait before reconnecting a lost listening connection; it doubles per failed attempt. Default 200 ms. */
  minReconnectDelayMs?: number;
  /** Longest wait between reconnect attempts. Default 10 s. */
  maxReconnectDelayMs?: number;
}

/** After a failed first load, get() fails without a query for this long, so a flood cannot hammer a sick database. */
const FAILED_LOAD_HOLD_MS = 1_000;
/** Longest a query on the listening connection may take before the connection is treated as lost. */
const LISTEN_QUERY_TIMEOUT_MS = 10_000;

type State = 'new' | 'starting' | 'started' | 'closed';

/**
 * A small table held whole in memory and kept current by LISTEN/NOTIFY (the
 * API keys, the sites). start() loads it and LISTENs for changes on a
 * connection of its own: writers announce each change at commit, from any
 * process, and every started snapshot reloads on it, so a change takes effect
 * within a second. A lost connection is reopened with backoff and everything
 * reloaded (announcements were missed meanwhile); the last snapshot keeps
 * answering until then. A periodic full reload is the safety net. close()
 * stops it all.
 *
 * Without start() (tests, one-shot tools), the snapshot is loaded on first use
 * and reloaded at most once per reloadIntervalMs.
 */
export class ListenedSnapshot<T> {
  readonly #db: Kysely<Database>;
  readonly #options: ListenedSnapshotOptions<T>;
  readonly #logger: Logger;
  readonly #reloadIntervalMs: number;
  readonly #minReconnectDelayMs: number;
  readonly #maxReconnectDelayMs: number;

  /** null until the first load. */
  #snapshot: T | null = null;
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

  constructor(db: Kysely<Database>, options: ListenedSnapshotOptions<T>) {
    const { owner } = options;
    this.#db = db;
    this.#options = options;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#reloadIntervalMs = positive(options.reloadIntervalMs ?? 30_000, 'reloadIntervalMs', owner);
    this.#minReconnectDelayMs = positive(options.minReconnectDelayMs ?? 200, 'minReconnectDelayMs', owner);
    this.#maxReconnectDelayMs = Math.max(this.#minReconnectDelayMs, positive(options.maxReconnectDelayMs ?? 10_000, 'maxReconnectDelayMs', owner));
  }

  /** Loads the snapshot and starts listening for changes. Rejects (and stops) if either fails. */
  async start(): Promise<void> {
    const { owner } = this.#options;
    if (this.#state !== 'new') throw new Error(`${owner}: start() when ${this.#state}`);
    if (this.#options.connectionString === undefined) throw new TypeError(`${owner}: start() needs options.connectionString`);
    this.#state = 'starting';
    try {
      await this.#listen();
    } catch (error) {
      await this.close();
      throw error;
    }
    if (this.#state !== 'starting') throw new Error(`${owner}: closed while starting`);
    this.#state = 'started';
    this.#reloadTimer = setInterval(() => this.#periodicReload(), this.#reloadIntervalMs);
    this.#reloadTimer.unref();
    this.#logger.info({ [this.#options.sizeField ?? 'size']: this.#size() }, `${this.#options.what} loaded; listening for changes`);
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

  /** The current snapshot: loaded first when there is none yet; refreshed in the background when stale and not started. */
  async get(): Promise<T> {
    const snapshot = this.#snapshot;
    if (snapshot === null) return this.#firstLoad();
    if (this.#state === 'new' && this.#loading === null && performance.now() - this.#lastLoadStartedAt >= this.#reloadIntervalMs) {
      this.#reload().catch((error: unknown) => this.#logger.warn({ error: messageOf(error) }, `reloading ${this.#options.what} failed`));
    }
    return snapshot;
  }

  /** Loads the snapshot now (joining a load under way, and one more after it) and returns it. */
  async refresh(): Promise<T> {
    await this.#reload();
    if (this.#snapshot === null) throw new Error(`${this.#options.what} could not be loaded`);
    return this.#snapshot;
  }

  /** The snapshot held now, without loading: null before the first load. */
  get current(): T | null {
    return this.#snapshot;
  }

  /** Full loads so far: for tests and metrics. */
  get loads(): number {
    return this.#loads;
  }

  #size(): number {
    return this.#snapshot === null || this.#options.sizeOf === undefined ? 0 : this.#options.sizeOf(this.#snapshot);
  }

  async #firstLoad(): Promise<T> {
    if (this.#loading === null && performance.now() - this.#firstLoadFailedAt < FAILED_LOAD_HOLD_MS) {
      throw new Error(`${this.#options.what} could not be loaded`, { cause: this.#firstLoadFailure });
    }
    try {
      // Joining a load under way is enough: nothing newer prompted this one.
      await (this.#loading ?? this.#reload());
    } catch (error) {
      this.#firstLoadFailedAt = performance.now();
      this.#firstLoadFailure = error;
      throw error;
    }
    if (this.#snapshot === null) throw new Error(`${this.#options.what} could not be loaded`);
    return this.#snapshot;
  }

  /**
   * Replaces the snapshot with a fresh load. Calls during a load share it, and
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
          this.#snapshot = await this.#options.load(this.#runQuery);
          this.#loads++;
        } while (this.#loadAgain);
      } finally {
        this.#loading = null;
      }
    })();
    this.#loading = loading;
    return loading;
  }

  readonly #runQuery: RunQuery = async <Row>(query: Compilable<Row>): Promise<Row[]> => {
    if (this.#state === 'starting' || this.#state === 'started') {
      // On the listening connection: an announcement of a commit after this
      // query's snapshot is delivered after its result, and prompts another load.
      const listener = this.#listener;
      if (listener === null) throw new Error(`the connection listening for ${this.#options.what} changes is down`);
      const compiled = query.compile();
      return (await listener.query<Row & pg.QueryResultRow>(compiled.sql, [...compiled.parameters])).rows;
    }
    const compiled = query.compile();
    return (await this.#db.executeQuery(compiled)).rows;
  };

  /** Opens the listening connection, LISTENs, then loads everything through it. */
  async #listen(): Promise<void> {
    const listener = new pg.Client({
      connectionString: this.#options.connectionString,
      application_name: this.#options.applicationName,
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
      if (message.channel === this.#options.channel && listener === this.#listener) {
        this.#reload().catch((error: unknown) => this.#lost(listener, error));
      }
    });
    this.#listener = listener;
    try {
      await listener.connect();
      await listener.query(`LISTEN ${this.#options.channel}`);
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
    this.#logger.warn({ error: error === null ? 'connection ended' : messageOf(error) }, `lost the connection listening for ${this.#options.what} changes; reconnecting`);
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
          this.#logger.info({ [this.#options.sizeField ?? 'size']: this.#size() }, `listening for ${this.#options.what} changes again; reloaded`);
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

function positive(value: number, name: string, owner: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`${owner}: options.${name} must be a positive number, got ${String(value)}`);
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
