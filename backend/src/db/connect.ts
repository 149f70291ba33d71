import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './database.ts';
import { openEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';

export interface OpenDatabaseOptions {
  /** A PostgreSQL 14+ server; when unset, the embedded server on `dataDir` is used (started or joined). */
  databaseUrl?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Most connections the ingest pool opens. Default 10. */
  poolSize?: number;
  /** The query API's pool. */
  api?: ApiPoolOptions;
}

/**
 * The query API's own pool: queries a client can shape run there, never on the
 * connections that ingest and key lookups need, each statement bounded in time
 * and memory by settings of its connection.
 */
export interface ApiPoolOptions {
  /** Most connections. Default 10. */
  poolSize?: number;
  /** Longest one statement may run (`statement_timeout`) before it fails as unavailable. Default 10,000 ms. */
  statementTimeoutMs?: number;
  /** `work_mem` of each connection (sort and hash memory per plan node), in PostgreSQL's units. Default `8MB`. */
  workMem?: string;
  /** Longest a query waits for a free connection before it fails as unavailable. Default 5,000 ms. */
  connectionTimeoutMs?: number;
}

export const API_POOL_DEFAULTS = {
  poolSize: 10,
  statementTimeoutMs: 10_000,
  workMem: '8MB',
  connectionTimeoutMs: 5_000,
} as const satisfies Required<ApiPoolOptions>;

/** A PostgreSQL memory size: an integer of kB, or one with a unit. */
export const MEMORY_SIZE = /^[1-9]\d{0,9}(?:kB|MB|GB)?$/;

export interface PoolHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
}

export interface DatabaseHandle {
  /** Ingest and administration: the store, partition DDL, key lookups, migrations, jobs. */
  db: Kysely<Database>;
  /** The pool under `db`, for what Kysely cannot do (COPY). */
  pool: pg.Pool;
  /**
   * The query API's pool on the same database (see ApiPoolOptions): read-only
   * connections with a statement timeout and a bounded work_mem. It connects
   * only when first used, so commands that never query cost nothing.
   */
  api: PoolHandle;
  /** Where the database is, without the password: for logs. */
  url: string;
  /** The full connection string, password included: for other pools, never for logs. */
  connectionString: string;
  /** True when the database is the embedded server of the data directory. */
  embedded: boolean;
  /** Ends the pool, then stops the embedded server if this process started it. Safe twice. */
  close(): Promise<void>;
}

const minimumServerVersion = 140000;

/**
 * Connects to DATABASE_URL or to the embedded PostgreSQL of the data directory
 * and checks that the server answers. Nothing is migrated here.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { logger } = options;
  let embedded: EmbeddedPostgres | null = null;
  let connectionString: string;
  if (options.databaseUrl === undefined) {
    embedded = await openEmbeddedPostgres({ dataDir: options.dataDir, logger });
    connectionString = embedded.connectionString;
  } else {
    connectionString = options.databaseUrl;
  }

  const ingest = openPool(logger, {
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: 'justanalytics',
  });
  let api: PoolHandle;
  try {
    api = openPool(logger, apiPoolConfig(connectionString, options.api ?? {}));
  } catch (error) {
    await ingest.db.destroy();
    await embedded?.stop();
    throw error;
  }
  const { db, pool } = ingest;
  const url = redact(connectionString);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await Promise.all([endPool(ingest), endPool(api)]);
      } finally {
        await embedded?.stop();
      }
    })();
    return closing;
  };

  try {
    await checkServer(pool);
  } catch (error) {
    await close().catch(() => undefined);
    throw new Error(`cannot use the database at ${url}: ${(error as Error).message}`, { cause: error });
  }
  logger.debug({ database: url, embedded: embedded !== null }, 'database connected');
  return { db, pool, api, url, connectionString, embedded: embedded !== null, close };
}

function openPool(logger: Logger, config: pg.PoolConfig): PoolHandle {
  const pool = new pg.Pool({ idleTimeoutMillis: 30_000, keepAlive: true, ...config });
  // A connection the server drops emits 'error' on its client; with no listener
  // that is an uncaught exception. The pool listens while a client is idle (and
  // re-emits here); while a client is checked out nobody does, and Kysely does
  // not either, so every client gets a listener of its own. The query under way
  // still fails with the error, and the pool replaces the connection.
  pool.on('error', (error) => logger.warn({ error: error.message }, 'an idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug({ error: error.message }, 'a database connection failed'));
  });
  return { pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}

async function endPool({ db, pool }: PoolHandle): Promise<void> {
  // Kysely ends the pool only if it ever ran a query; make sure it is ended.
  await db.destroy();
  if (!pool.ending) await pool.end();
}

/**
 * The API pool's configuration. Its limits are session settings sent when a
 * connection starts, so no query can run on an API connection without them,
 * and a client cannot lift them: the API runs no SQL a client writes. Read-only
 * as well, since the API never writes.
 */
export function apiPoolConfig(connectionString: string, options: ApiPoolOptions): pg.PoolConfig {
  const { poolSize, statementTimeoutMs, workMem, connectionTimeoutMs } = { ...API_POOL_DEFAULTS, ...definedOnly(options) };
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new RangeError(`the API pool size must be a positive integer, got ${poolSize}`);
  if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 1) {
    throw new RangeError(`the API statement timeout must be a positive integer of milliseconds, got ${statementTimeoutMs}`);
  }
  if (!MEMORY_SIZE.test(workMem)) throw new RangeError(`the API work_mem must be a PostgreSQL size like "8MB", got "${workMem}"`);
  // JIT off: the API's statements are short and planned often, and JIT's compile (measured at 0.2-1.4 s on the
  // analytics queries) costs more than it saves in any of them.
  const settings = `-c statement_timeout=${statementTimeoutMs} -c work_mem=${workMem} -c default_transaction_read_only=on -c jit=off`;
  return {
    ...withOptions(connectionString, settings),
    max: poolSize,
    // pg-pool counts the wait for a busy pool's next free connection in this timeout too.
    connectionTimeoutMillis: connectionTimeoutMs,
    application_name: 'justanalytics-api',
  };
}

/**
 * Adds `-c` settings to the connection's `options`. node-postgres lets options
 * of a URL override the ones beside it, so when the URL has its own, ours are
 * appended to them there (PostgreSQL applies the last of a repeated setting).
 */
function withOptions(connectionString: string, settings: string): { connectionString: string; options?: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, options: settings };
  }
  const given = url.searchParams.get('options');
  if (given === null) return { connectionString, options: settings };
  url.searchParams.set('options', `${given} ${settings}`);
  return { connectionString: url.toString() };
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

async function checkServer(pool: pg.Pool): Promise<void> {
  const result = await pool.query<{ server_version_num: string }>('SHOW server_version_num');
  const version = Number(result.rows[0]?.server_version_num);
  if (!(version >= minimumServerVersion)) throw new Error(`PostgreSQL 14 or later is needed, the server is version ${version}`);
}

/** The connection string without its password, safe to log. */
export function redact(connectionString: string): string {
  try {
    const parsed = new URL(connectionString);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a connection string that is not a URL)';
  }
}
