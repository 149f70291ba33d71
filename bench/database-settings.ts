// The PostgreSQL a benchmark ran on, for its results: version and the settings
// that move ingest and query figures, as the server has them (reset_val, not
// a session's own).
import type pg from 'pg';

const names = [
  'server_version',
  'shared_buffers',
  'wal_buffers',
  'max_wal_size',
  'checkpoint_timeout',
  'synchronous_commit',
  'fsync',
  'full_page_writes',
  'wal_compression',
  'work_mem',
  'effective_cache_size',
];

export async function databaseSettings(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; value: string }>(
    `SELECT name, CASE WHEN unit IS NULL THEN reset_val
                       WHEN unit ~ 'B$' THEN pg_size_pretty(reset_val::bigint * pg_size_bytes(CASE WHEN unit ~ '^[0-9]' THEN unit ELSE '1' || unit END))
                       ELSE reset_val || unit END AS value
     FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
    [names],
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}
