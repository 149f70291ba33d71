// openDatabase: a pool and Kysely on DATABASE_URL or on the embedded server of
// the data directory (joined when already running), int8 kept as strings, the
// password kept out of the loggable URL, clear errors, and close() safe twice.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { openDatabase, redact } from '../src/db/connect.ts';
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
