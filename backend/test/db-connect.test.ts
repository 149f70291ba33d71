// openDatabase: a pool and Kysely on DATABASE_URL or on the embedded server of
// the data directory (joined when already running), int8 kept as strings, the
// password kept out of the loggable URL, clear errors, and close() safe twice;
// and the query API's own pool: separate connections that ingest never waits
// for, each with a statement timeout, a bounded work_mem and read-only, with
// options of the URL kept, and failures classified as unavailable.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { apiPoolConfig, openDatabase, redact } from '../src/db/connect.ts';
import { classifyDatabaseError } from '../src/store/database-errors.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const logger = testLogger();

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}

t.test('connects to a database URL and keeps int8 exact', async (t) => {
  const { url } = await createTestDatabase(t);
  const handle = await openDatabase({ databaseUrl: url, dataDir: '.', logger });
  t.equal(handle.embedded, false);
  t.equal(handle.connectionString, url);
  const password = new URL(url).password;
  if (password !== '') t.notOk(handle.url.includes(password), 'the loggable URL has no password');
  const { rows } = await sql<{ big: string; ts: Date }>`SELECT 9223372036854775807::bigint AS big, now() AS ts`.execute(handle.db);
  t.equal(rows[0]?.big, '9223372036854775807', 'int8 comes back as a decimal string');
  t.ok(rows[0]?.ts instanceof Date);
  await handle.close();
  await handle.close(); // safe twice
  await t.rejects(sql`SELECT 1`.execute(handle.db), 'closed for good');
});

t.test('an unreachable server is a clear error without the password', async (t) => {
  const port = await closedPort();
  const error = await openDatabase({ databaseUrl: `postgres://someone:s3cret-pw@127.0.0.1:${port}/db`, dataDir: '.', logger }).catch((e: unknown) => e as Error);
  t.ok(error instanceof Error);
  t.match((error as Error).message, new RegExp(`cannot use the database at postgres://someone:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db`));
  t.notOk((error as Error).message.includes('s3cret-pw'));
});

t.test('without a URL it runs the embedded server, which a second handle joins', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-connect-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await openDatabase({ dataDir, logger });
  t.teardown(() => first.close());
  t.equal(first.embedded, true);
  t.notOk(first.url.includes(new URL(first.connectionString).password));
  const second = await openDatabase({ dataDir, logger, poolSize: 1 });
  t.equal(second.embedded, true);
  t.equal(second.connectionString, first.connectionString, 'the same server');
  await second.close();
  t.same((await sql<{ one: number }>`SELECT 1 AS one`.execute(first.db)).rows, [{ one: 1 }], 'closing the joiner leaves the server running');
  await first.close();
  await t.rejects(stat(join(dataDir, 'pg', 'postmaster.pid')), 'the starter stopped it');
});

t.test('redact() hides passwords only', async (t) => {
  t.equal(redact('postgres://u:p@h:5432/d?sslmode=require'), 'postgres://u:***@h:5432/d?sslmode=require');
  t.equal(redact('postgres://u@h/d'), 'postgres://u@h/d');
  t.equal(redact('host=h password=p'), '(a connection string that is not a URL)');
});

t.test('the API pool: its own connections, bounded in time and memory, read-only', async (t) => {
  const { url } = await createTestDatabase(t);
  const handle = await openDatabase({
    databaseUrl: url,
    dataDir: '.',
    logger,
    poolSize: 2,
    api: { poolSize: 2, statementTimeoutMs: 300, workMem: '2MB', connectionTimeoutMs: 200 },
  });
  t.teardown(() => handle.close());
  const show = async (db: typeof handle.db) =>
    (
      await sql<{ timeout: string; mem: string; ro: string; app: string }>`
        SELECT current_setting('statement_timeout') AS timeout, current_setting('work_mem') AS mem,
               current_setting('default_transaction_read_only') AS ro, current_setting('application_name') AS app`.execute(db)
    ).rows[0];
  t.strictSame(await show(handle.api.db), { timeout: '300ms', mem: '2MB', ro: 'on', app: 'justanalytics-api' });
  const ingest = await show(handle.db);
  t.equal(ingest?.timeout, '0', 'ingest statements are not cut by the API timeout (the sink sets its own per flush)');
  t.equal(ingest?.ro, 'off');
  t.equal(ingest?.app, 'justanalytics');

  const started = Date.now();
  const slow = await sql`SELECT pg_sleep(5)`.execute(handle.api.db).catch((error: unknown) => error);
  t.equal((slow as { code?: string }).code, '57014', 'cancelled by statement_timeout');
  t.ok(Date.now() - started < 3000, 'well before the sleep ends');
  t.equal(classifyDatabaseError(slow), 'unavailable');
  const write = await sql`CREATE TABLE nope (x int)`.execute(handle.api.db).catch((error: unknown) => error);
  t.equal((write as { code?: string }).code, '25006', 'read-only');

  // Every API connection busy: ingest does not wait, and the API fails fast as unavailable.
  const held = await Promise.all([handle.api.pool.connect(), handle.api.pool.connect()]);
  t.teardown(() => held.forEach((client) => client.release()));
  const ingestStarted = Date.now();
  t.same((await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db)).rows, [{ one: 1 }]);
  t.ok(Date.now() - ingestStarted < 1000, 'the ingest pool answers at once');
  const waited = await sql`SELECT 1`.execute(handle.api.db).catch((error: unknown) => error);
  t.match(String((waited as Error).message), /timeout exceeded when trying to connect/);
  t.equal(classifyDatabaseError(waited), 'unavailable');
});

t.test('the API pool keeps options of the URL, and its own settings win', async (t) => {
  const { url } = await createTestDatabase(t);
  const withOptions = new URL(url);
  withOptions.searchParams.set('options', '-c lock_timeout=1234 -c statement_timeout=999999');
  const handle = await openDatabase({ databaseUrl: withOptions.toString(), dataDir: '.', logger, api: { statementTimeoutMs: 4321 } });
  t.teardown(() => handle.close());
  const { rows } = await sql<{ timeout: string; lock: string }>`
    SELECT current_setting('statement_timeout') AS timeout, current_setting('lock_timeout') AS lock`.execute(handle.api.db);
  t.strictSame(rows, [{ timeout: '4321ms', lock: '1234ms' }]);
});

t.test('API pool options are checked', async (t) => {
  const url = 'postgres://u@127.0.0.1/d';
  t.throws(() => apiPoolConfig(url, { poolSize: 0 }), RangeError);
  t.throws(() => apiPoolConfig(url, { statementTimeoutMs: 1.5 }), RangeError);
  t.throws(() => apiPoolConfig(url, { workMem: '8MB -c statement_timeout=0' }), RangeError, 'no way to smuggle settings');
  t.match(apiPoolConfig(url, {}), { max: 10, connectionTimeoutMillis: 5000, options: '-c statement_timeout=10000 -c work_mem=8MB -c default_transaction_read_only=on -c jit=off' });
});
