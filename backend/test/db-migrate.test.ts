// Migrations: the initial schema applies, a second run does nothing, several
// processes migrating at once apply each migration once, and a failing
// migration is reported (the migrator's `error` is checked) and rolled back.
import { sql, type Kysely } from 'kysely';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { MigrationError, migrateToLatestOrThrow } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

async function tables<DB>(db: Kysely<DB>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`.execute(db);
  return result.rows.map((row) => row.name);
}

t.test('migrates an empty database, and a second run does nothing', async (t) => {
  const { handle } = await createTestDatabase(t, { skipMigrations: true });
  t.same(await migrateToLatestOrThrow(handle.db), Object.keys(migrations));
  t.same(await tables(handle.db), [
    'analytics_dirty_buckets',
    'analytics_drops',
    'analytics_funnels',
    'analytics_goals',
    'analytics_rollups',
    'api_keys',
    'events',
    'identities',
    'kysely_migration',
    'kysely_migration_lock',
    'logs',
    'metric_points',
    'metric_series',
    'red_hours',
    'red_minutes',
    'resource_scopes',
    'service_edge_minutes',
    'service_edge_progress',
    'sessions',
    'sites',
    'spans',
    'trace_summaries',
    'visitor_salts',
  ]);
  t.same(await migrateToLatestOrThrow(handle.db), [], 'nothing left to run');
  const partitioned = await sql<{ name: string; key: string }>`
    SELECT c.relname AS name, pg_get_partkeydef(c.oid) AS key FROM pg_class c WHERE c.relkind = 'p' ORDER BY 1`.execute(handle.db);
  t.same(partitioned.rows, [
    { name: 'analytics_drops', key: 'RANGE (day)' },
    { name: 'analytics_rollups', key: 'RANGE (bucket)' },
    { name: 'events', key: 'RANGE ("time")' },
    { name: 'logs', key: 'RANGE ("time")' },
    { name: 'metric_points', key: 'RANGE ("time")' },
    { name: 'metric_series', key: 'RANGE (day)' },
    { name: 'red_hours', key: 'RANGE ("time")' },
    { name: 'red_minutes', key: 'RANGE ("time")' },
    { name: 'resource_scopes', key: 'RANGE (day)' },
    { name: 'service_edge_minutes', key: 'RANGE ("time")' },
    { name: 'sessions', key: 'RANGE (started_at)' },
    { name: 'spans', key: 'RANGE (start_time)' },
    { name: 'trace_summaries', key: 'RANGE (day)' },
  ]);
});

t.test('several processes migrating at once apply each migration exactly once', async (t) => {
  const { url } = await createTestDatabase(t, { skipMigrations: true });
  // Separate pools stand for separate processes.
  const handles = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 2 })));
  t.teardown(() => Promise.all(handles.map((handle) => handle.close())));
  const applied = await Promise.all(handles.map((handle) => migrateToLatestOrThrow(handle.db)));
  t.same(applied.flat().sort(), Object.keys(migrations).sort(), 'each migration ran in one process only');
  const recorded = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(handles[0]!.db);
  t.same(recorded.rows.map((row) => row.name), Object.keys(migrations));
});

t.test('a failing migration throws with its name and the run leaves nothing behind', async (t) => {
  const { handle } = await createTestDatabase(t, { skipMigrations: true });
  const broken = {
    ...migrations,
    '2999-01-01T00-00-00-broken': {
      async up(db: Kysely<unknown>) {
        await sql`CREATE TABLE half_done (id bigint)`.execute(db);
        await sql`SELECT no_such_function()`.execute(db);
      },
    },
  };
  const error = await migrateToLatestOrThrow(handle.db, { migrations: broken }).catch((caught: unknown) => caught);
  t.ok(error instanceof MigrationError, 'a MigrationError');
  t.match((error as Error).message, /2999-01-01T00-00-00-broken failed: .*no_such_function/);
  t.same(await tables(handle.db), ['kysely_migration', 'kysely_migration_lock'], 'the whole run was rolled back, the good migrations too');
  t.same(await migrateToLatestOrThrow(handle.db), Object.keys(migrations), 'the real migrations then apply');
});
