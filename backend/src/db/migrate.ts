import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResult } from 'kysely/migration';
import { migrations } from './migrations/index.ts';

export class MigrationError extends Error {
  readonly results: readonly MigrationResult[];
  constructor(message: string, results: readonly MigrationResult[], cause: unknown) {
    super(message, { cause });
    this.name = 'MigrationError';
    this.results = results;
  }
}

/**
 * Brings the schema to the latest migration and returns the names of the
 * migrations run now. Several processes may call it at once: Kysely's
 * PostgreSQL adapter holds a session advisory lock while it migrates, and the
 * whole run is one transaction, so a failure leaves the schema as it was.
 * `options.migrations` replaces the project's list (for tests).
 */
export async function migrateToLatestOrThrow<DB>(db: Kysely<DB>, options: { migrations?: Record<string, Migration> } = {}): Promise<string[]> {
  const all = options.migrations ?? migrations;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => all } });
  // The migrator never throws: it reports through `error`, which must be checked.
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    const detail = error instanceof Error ? error.message : String(error);
    const message = failed ? `migration ${failed.migrationName} failed: ${detail}` : `migrating the database failed: ${detail}`;
    throw new MigrationError(message, results, error);
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
