import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatestOrThrow } from '../db/migrate.ts';
import type { CommandContext } from './command-context.ts';

/**
 * Opens the configured database (or joins the embedded server that `serve` is
 * already running on the data directory), runs `check` (a refusal there leaves
 * the database as it was), migrates it, runs `work`, closes.
 */
export async function withDatabase<T>(
  context: CommandContext,
  work: (db: Kysely<Database>) => Promise<T>,
  check?: (db: Kysely<Database>) => Promise<void>,
): Promise<T> {
  const handle = await openDatabase({
    databaseUrl: context.config.databaseUrl,
    dataDir: context.config.dataDir,
    logger: context.logger,
    poolSize: 2,
  });
  try {
    await check?.(handle.db);
    await migrateToLatestOrThrow(handle.db);
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}
