// The embedded PostgreSQL: a private server on 127.0.0.1 with a generated
// password, joined (never started twice) when one already runs on the data
// directory, restarted on its existing cluster, robust to stale lock files and
// missing library links, with clear errors when it cannot start.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SinkUnavailableError } from '@justanalytics/collector';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { hydrateSymlinks } from '../src/db/embedded-binaries.ts';
import { openEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatestOrThrow } from '../src/db/migrate.ts';
import { PostgresSink } from '../src/store/postgres-sink.ts';
import { makeSpanRow } from './helpers/span-rows.ts';
import { testLogger } from './helpers/test-database.ts';

const logger = testLogger();

async function tempDataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ja-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens the server and makes sure the test stops it even when an assertion throws. */
async function open(t: Test, dataDir: string): Promise<EmbeddedPostgres> {
  const server = await openEmbeddedPostgres({ dataDir, logger });
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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

t.test('starts a private PostgreSQL 18 on 127.0.0.1 with a generated password, and stops it', async (t) => {
  const dataDir = await tempDataDir(t);
  const server = await open(t, dataDir);
  t.equal(server.startedHere, true);
  t.equal(server.host, '127.0.0.1');
  t.ok(await exists(join(dataDir, 'pg', 'PG_VERSION')), 'the cluster lives in <dataDir>/pg');

  const credentials = JSON.parse(await readFile(join(dataDir, 'pg-credentials.json'), 'utf8')) as { password: string };
  t.ok(credentials.password.length >= 32, 'a long random password');
  t.equal((await stat(join(dataDir, 'pg-credentials.json'))).mode & 0o777, 0o600, 'the credentials file is private');

  const [settings] = await query<{ version: string; listen: string; sockets: string; encoding: string }>(
    server.connectionString,
    `SELECT current_setting('server_version_num') AS version, current_setting('listen_addresses') AS listen,
            current_setting('unix_socket_directories') AS sockets, current_setting('server_encoding') AS encoding`,
  );
  t.ok(Number(settings?.version) >= 180000, `server version ${settings?.version}`);
  t.equal(settings?.listen, '127.0.0.1');
  t.equal(settings?.sockets, '', 'no unix sockets');
  t.equal(settings?.encoding, 'UTF8');

  const wrong = new URL(server.connectionString);
  wrong.password = 'not-the-password';
  await t.rejects(query(wrong.toString(), 'SELECT 1'), { code: '28P01' }, 'a wrong password is refused');

  await server.stop();
  t.notOk(await exists(join(dataDir, 'pg', 'postmaster.pid')), 'the server is gone');
  await server.stop(); // safe twice
});

t.test('a second opener joins the running server, and only the starter stops it', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = await open(t, dataDir);
  const second = await open(t, dataDir);
  t.equal(second.startedHere, false);
  t.equal(second.port, first.port);
  t.equal(second.connectionString, first.connectionString);
  await second.stop();
  t.same(await query(first.connectionString, 'SELECT 1 AS one'), [{ one: 1 }], 'still running after the joiner stopped');
  await first.stop();
  t.notOk(await exists(join(dataDir, 'pg', 'postmaster.pid')));
});

t.test('opening a fresh directory twice at once initialises once and runs one server', async (t) => {
  const dataDir = await tempDataDir(t);
  const servers = await Promise.all([open(t, dataDir), open(t, dataDir), open(t, dataDir)]);
  t.equal(servers.filter((server) => server.startedHere).length, 1, 'exactly one started it');
  t.equal(new Set(servers.map((server) => server.port)).size, 1, 'all use the same server');
  for (const server of servers) t.same(await query(server.connectionString, 'SELECT 1 AS one'), [{ one: 1 }]);
  for (const server of servers) await server.stop();
});

t.test('a restart keeps the cluster, its data and its password', async (t) => {
  const dataDir = await tempDataDir(t);
  const credentialsBefore = await (async () => {
    const server = await open(t, dataDir);
    await query(server.connectionString, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    await server.stop();
    return readFile(join(dataDir, 'pg-credentials.json'), 'utf8');
  })();
  const again = await open(t, dataDir);
  t.equal(again.startedHere, true);
  t.same(await query(again.connectionString, 'SELECT id FROM kept'), [{ id: 42 }]);
  t.equal(await readFile(join(dataDir, 'pg-credentials.json'), 'utf8'), credentialsBefore);
});

t.test('a stale postmaster.pid does not stop a start, whether its PID is dead or reused', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = await open(t, dataDir);
  await first.stop();
  const lockFile = join(dataDir, 'pg', 'postmaster.pid');
  const lockText = (pid: number) => `${pid}\n${join(dataDir, 'pg')}\n1700000000\n${first.port}\n\n127.0.0.1\n0 0\nready \n`;

  const finished = spawn('true');
  await once(finished, 'exit');
  await writeFile(lockFile, lockText(finished.pid!));
  const afterDeadPid = await open(t, dataDir);
  t.equal(afterDeadPid.startedHere, true, 'started over a dead PID');
  await afterDeadPid.stop();

  // A live process that is not PostgreSQL holds the PID (a reboot, a new container).
  const sleeper = spawn('sleep', ['60']);
  t.teardown(() => sleeper.kill());
  await writeFile(lockFile, lockText(sleeper.pid!));
  const afterReusedPid = await open(t, dataDir);
  t.equal(afterReusedPid.startedHere, true, 'started over a PID now used by another program');
  t.same(await query(afterReusedPid.connectionString, 'SELECT 1 AS one'), [{ one: 1 }]);
});

t.test('the server does not outlive the process that started it, even after SIGKILL', async (t) => {
  const dataDir = await tempDataDir(t);
  const holder = spawn(process.execPath, [fileURLToPath(new URL('./helpers/hold-embedded.ts', import.meta.url)), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => holder.kill('SIGKILL'));
  const [line] = (await once(holder.stdout!, 'data')) as [Buffer];
  t.match(line.toString(), /^ready \d+/);
  const joined = await open(t, dataDir);
  t.equal(joined.startedHere, false, 'another process runs it');
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  let gone = false;
  for (let i = 0; i < 400 && !gone; i++) {
    gone = !(await exists(join(dataDir, 'pg', 'postmaster.pid')));
    if (!gone) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.ok(gone, 'PostgreSQL shut down once its starter was killed');
  const restarted = await open(t, dataDir);
  t.equal(restarted.startedHere, true, 'the next opener starts it afresh');
});

t.test('a server that cannot start fails with PostgreSQL’s own reason', async (t) => {
  const dataDir = await tempDataDir(t);
  const server = await open(t, dataDir);
  await server.stop();
  await writeFile(join(dataDir, 'pg', 'PG_VERSION'), '9\n');
  await t.rejects(openEmbeddedPostgres({ dataDir, logger, startTimeoutMs: 20_000 }), /exited while starting.*(incompatible|version)/s);
  t.notOk(await exists(join(dataDir, 'pg', 'postmaster.pid')), 'nothing left running');
});

t.test('credentials that cannot be read give a clear error', async (t) => {
  const dataDir = await tempDataDir(t);
  await writeFile(join(dataDir, 'pg-credentials.json'), 'not json');
  await t.rejects(openEmbeddedPostgres({ dataDir, logger }), /not a valid credentials file/);
});

t.test('missing library links of the binaries package are recreated', async (t) => {
  const root = await tempDataDir(t);
  await mkdir(join(root, 'native', 'lib'), { recursive: true });
  await writeFile(join(root, 'native', 'lib', 'libpq.so.5.18'), 'library');
  await symlink('libpq.so.5.18', join(root, 'native', 'lib', 'libpq.so'));
  await writeFile(
    join(root, 'native', 'pg-symlinks.json'),
    JSON.stringify([
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
    ]),
  );
  await hydrateSymlinks(root, logger);
  t.equal(await readlink(join(root, 'native', 'lib', 'libpq.so.5')), 'libpq.so.5.18', 'the missing link is made, relative');
  t.equal(await readFile(join(root, 'native', 'lib', 'libpq.so.5'), 'utf8'), 'library');
  t.equal(await readlink(join(root, 'native', 'lib', 'libpq.so')), 'libpq.so.5.18', 'an existing link is left alone');
});

t.test('writes to a stopped embedded server fail as unavailable', async (t) => {
  const dataDir = await tempDataDir(t);
  const server = await open(t, dataDir);
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 2 });
  pool.on('error', () => {});
  t.teardown(() => pool.end());
  await migrateToLatestOrThrow(new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
  const sink = new PostgresSink(pool, { logger });
  t.teardown(() => sink.close());
  const siteId = '1';
  t.same(await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId })] }), { rejected: 0, message: '' });
  await server.stop();
  await t.rejects(sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId })] }), SinkUnavailableError);
});
