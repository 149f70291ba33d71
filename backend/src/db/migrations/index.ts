import type { Migration } from 'kysely/migration';
import * as traces from './2026-11-23T18-00-00-traces.ts';
import * as logs from './2026-11-29T21-00-00-logs.ts';

/** Every migration, by name. Landed migrations are never edited: add a new one. */
export const migrations: Record<string, Migration> = {
  '2026-11-23T18-00-00-traces': traces,
  '2026-11-29T21-00-00-logs': logs,
};
