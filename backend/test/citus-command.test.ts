// `justanalytics citus enable` on a PostgreSQL without Citus: one line on
// stderr, exit 1, and the database left as it was (not even migrated); a
// missing or unknown action is a usage error (exit 2).
import { execFile } from 'node:child_process';
import { sql } from 'kysely';
import t from 'tap';
import { createTestDatabase } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

t.test('without Citus the command says so in one line and changes nothing', async (t) => {
  const { url, handle } = await createTestDatabase(t, { skipMigrations: true });
  const result = await run(['citus', 'enable'], { DATABASE_URL: url });
  t.equal(result.code, 1);
  t.equal(result.stdout, '');
  t.match(result.stderr, /^justanalytics: Citus is not installed (in this database|on this PostgreSQL server): .*CREATE EXTENSION citus.*\n$/);
  t.equal(result.stderr.split('\n').length, 2, 'one line');
  const tables = await sql`SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`.execute(handle.db);
  t.equal(tables.rows.length, 0, 'the database was not migrated');
});

t.test('citus needs the action enable', async (t) => {
  const missing = await run(['citus'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /citus needs an action: enable/);
  const unknown = await run(['citus', 'disable'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown citus action "disable"/);
  t.match(unknown.stderr, /citus enable \[--json\]/, 'the usage lists the command');
});
