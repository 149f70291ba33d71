import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * The channel on which every change to api_keys is announced (payload: the
 * key's ID), so each running process's resolver reloads its keys at once.
 */
export const API_KEY_CHANGES_CHANNEL = 'justanalytics_api_keys';

/**
 * Announces a change of key `id`. In a transaction, PostgreSQL delivers it
 * only at COMMIT (and never on ROLLBACK), so listeners that reload then see it.
 */
export async function announceApiKeyChange(trx: Transaction<Database>, id: string): Promise<void> {
  await sql`SELECT pg_notify(${API_KEY_CHANGES_CHANNEL}, ${id})`.execute(trx);
}

/** Runs `work` in `db` when it is a transaction already, else in a new one. */
export async function inTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>);
  return db.transaction().execute(work);
}
