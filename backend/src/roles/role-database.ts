import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { openDatabase, type DatabaseHandle } from '../db/connect.ts';
import { migrateToLatestOrThrow } from '../db/migrate.ts';
import { ensureDefaultSite, type DefaultSite } from '../store/default-site.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

export interface RoleDatabase {
  database: DatabaseHandle;
  /** Set when this process created the default site and its first keys: it prints them. */
  createdDefaultSite: DefaultSite | null;
}

/**
 * Opens the database every role shares (DATABASE_URL, else the embedded
 * server of the data directory), brings the schema up to date and makes the
 * default site on an empty one. Any role may be the first to start against
 * an empty database: processes starting together migrate one after another
 * (the migrator's advisory lock) and make the default site once (its own).
 */
export async function openRoleDatabase(config: Config, logger: Logger, steps: ShutdownSteps): Promise<RoleDatabase> {
  // Two pools: ingest (the sink, partition DDL, key loads, jobs) on database.db, the query API on database.api,
  // so that no query a client shapes can take the connections ingest needs. The API pool connects only when used.
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
    api: { poolSize: config.apiPoolSize, statementTimeoutMs: config.apiStatementTimeoutMs, workMem: config.apiWorkMem },
  });
  steps.add(() => database.close());
  await migrateToLatestOrThrow(database.db);
  const createdDefaultSite = await ensureDefaultSite(database.db);
  return { database, createdDefaultSite };
}
