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
  /** Most connections the pool opens. Default 10. */
  poolSize?: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** The pool under `db`, for what Kysely cannot do (COPY). */
  pool: pg.Pool;
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

  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'justanalytics',
  });
  // A connection the server drops emits 'error' on its client; with no listener
  // that is an uncaught exception. The pool listens while a client is idle (and
  // re-emits here); while a client is checked out nobody does, and Kysely does
  // not either, so every client gets a listener of its own. The query under way
  // still fails with the error, and the pool replaces the connection.
  pool.on('error', (error) => logger.warn({ error: error.message }, 'an idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug({ error: error.message }, 'a database connection failed'));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const url = redact(connectionString);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        // Kysely ends the pool only if it ever ran a query; make sure it is ended.
        await db.destroy();
        if (!pool.ending) await pool.end();
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
  return { db, pool, url, connectionString, embedded: embedded !== null, close };
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
