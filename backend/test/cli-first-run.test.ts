// `justanalytics` on a first run, and on a data directory of an earlier run:
// what cannot work (a taken port, a data directory that cannot be made) is one
// line on stderr and exit code 1 (2 for a command line that contradicts
// itself), never a stack trace and never a PostgreSQL started for nothing; a
// data directory on another file system works; one made before the later
// migrations is migrated by serve; a stale postmaster.pid after a power loss
// costs one log line; and as root, serve works in a directory of mode 0700.
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { openEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatestOrThrow } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { startServe } from './helpers/serve-process.ts';
import { testLogger } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;
const logger = testLogger();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, JUSTANALYTICS_LOG_LEVEL: 'info', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function tempDir(t: Test, mode = 0o755, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, 'ja-cli-first-run-'));
  await chmod(dir, mode);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function holdPort(t: Test): Promise<number> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Names of the migrations applied to the embedded database of `dataDir`. */
async function appliedMigrations(dataDir: string): Promise<string[]> {
  const server = await openEmbeddedPostgres({ dataDir, logger });
  const client = new pg.Client({ connectionString: server.connectionString });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name');
    return rows.map((row) => row.name);
  } finally {
    await client.end();
    await server.stop();
  }
}

const oneLine = /^justanalytics: [^\n]+\n$/;

t.test('a port already in use is one line and exit code 1, before any database starts', async (t) => {
  const taken = await holdPort(t);
  const dataDir = join(await tempDir(t), 'data');
  const result = await run(['serve', '--data-dir', dataDir, '--otlp-http-port', String(taken), '--otlp-grpc-port', '0', '--api-port', '0']);
  t.equal(result.code, 1);
  t.match(result.stderr, oneLine);
  t.match(result.stderr, `port ${taken} is already in use (OTLP/HTTP on 127.0.0.1): stop what uses it, or choose another with --otlp-http-port`);
  t.notOk(await exists(dataDir), 'no database was made');

  const api = await run(['serve', '--data-dir', dataDir, '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', String(taken)]);
  t.equal(api.code, 1);
  t.match(api.stderr, oneLine);
  t.match(api.stderr, `port ${taken} is already in use (API on 127.0.0.1)`);

  const twice = await run(['serve', '--data-dir', dataDir, '--otlp-http-port', '4999', '--otlp-grpc-port', '4999']);
  t.equal(twice.code, 2, 'one port given to two listeners is a usage error');
  t.match(twice.stderr, /^justanalytics: the OTLP\/HTTP and OTLP\/gRPC ports are both 4999: give --otlp-grpc-port another\n/);
});

t.test('a data directory that cannot be made is one line and exit code 1', async (t) => {
  const file = join(await tempDir(t), 'a-file');
  await writeFile(file, '');
  for (const [dataDir, reason] of [
    [join(file, 'data'), 'a file is in the way'],
    ['/proc/justanalytics', 'it cannot be created there'],
  ] as const) {
    const result = await run(['migrate', '--data-dir', dataDir]);
    t.equal(result.code, 1, dataDir);
    t.equal(result.stderr, `justanalytics: cannot use ${dataDir} as the data directory (${reason}): choose one you can write with --data-dir or JUSTANALYTICS_DATA_DIR\n`);
  }
});

t.test('a data directory on another file system works', async (t) => {
  const parent = '/dev/shm';
  t.not((await stat(parent)).dev, (await stat(tmpdir())).dev, `${parent} is another file system than ${tmpdir()}`);
  const dataDir = join(await tempDir(t, 0o755, parent), 'data');
  const result = await run(['migrate', '--data-dir', dataDir]);
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, 'database schema is up to date\n');
  t.same(await appliedMigrations(dataDir), Object.keys(migrations).sort());
});

t.test('serve brings a data directory of an earlier version up to date, after a power loss left its postmaster.pid', async (t) => {
  const dataDir = await tempDir(t);
  const [first, ...later] = Object.keys(migrations).sort();
  if (first === undefined) throw new Error('no migrations');
  const old = await openEmbeddedPostgres({ dataDir, logger });
  const pool = new pg.Pool({ connectionString: old.connectionString, max: 1 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  t.same(await migrateToLatestOrThrow(db, { migrations: { [first]: migrations[first]! } }), [first], 'the schema of the first version');
  await db.destroy();
  const port = old.port;
  await old.stop();
  // What the lock file of a server that lost power looks like: its PID is no longer PostgreSQL.
  const pgDir = join(dataDir, 'pg');
  await writeFile(join(pgDir, 'postmaster.pid'), `${process.pid}\n${pgDir}\n1700000000\n${port}\n\n127.0.0.1\n0 0\nready \n`);

  const serve = await startServe(t, { JUSTANALYTICS_DATA_DIR: dataDir });
  const stale = serve.recentLogs().filter((line) => line.includes('postmaster.pid'));
  t.equal(stale.length, 1, 'one log line about the lock file');
  t.match(JSON.parse(stale[0] ?? '{}'), { level: 40, msg: `removed a stale postmaster.pid (pid ${process.pid} is not this cluster's PostgreSQL): the last run did not stop cleanly (a crash or a power loss); PostgreSQL recovers its data as it starts` });
  serve.child.kill('SIGTERM');
  t.same(await serve.exited, [0, null], 'a clean stop');
  t.same(await appliedMigrations(dataDir), [first, ...later], 'every later migration ran');
});

// Only root can be root; an ordinary user's run is db-embedded-first-run.test.ts's.
if (process.getuid?.() === 0) t.test('as root, serve in a directory of mode 0700 works, and admin commands find its database', async (t) => {
  const home = await tempDir(t, 0o700);
  const dataDir = join(home, 'app', '.justanalytics');
  await mkdir(dirname(dataDir));
  const serve = await startServe(t, { JUSTANALYTICS_DATA_DIR: dataDir });
  const cluster = await realpath(join(dataDir, 'pg'));
  // The cluster lives in the system directory: remove it with the test.
  t.teardown(() => rm(dirname(cluster), { recursive: true, force: true }));
  t.match(cluster, /^\/var\/lib\/justanalytics\/data\/[0-9a-f]{24}\/pg$/);
  t.equal((await readFile(join(dirname(cluster), 'data-dir'), 'utf8')).trim(), dataDir);

  const sites = await run(['sites', 'list', '--json'], { JUSTANALYTICS_DATA_DIR: dataDir });
  t.equal(sites.code, 0, sites.stderr);
  t.match(JSON.parse(sites.stdout), { sites: [{ name: 'default' }] }, 'joined the running server');
  serve.child.kill('SIGTERM');
  t.same(await serve.exited, [0, null]);

  const again = await run(['sites', 'list', '--json'], { JUSTANALYTICS_DATA_DIR: dataDir });
  t.equal(again.code, 0, again.stderr);
  t.match(JSON.parse(again.stdout), { sites: [{ name: 'default' }] }, 'started it again from the link');
  t.equal((await stat(home)).mode & 0o777, 0o700, 'the directory was not opened up');
});
