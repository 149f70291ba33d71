// Fault: `justanalytics serve` killed with SIGKILL in the middle of a load from
// 6 clients (no shutdown, no chance to flush): every span it acknowledged with
// a 200 is already committed, and a new serve on the same data starts, takes
// the same key and stores more. Run twice: against a fresh database on the
// test's server (DATABASE_URL), and on an embedded PostgreSQL in a data
// directory, whose server outlives the killed process and is joined or
// restarted by the next serve.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatestOrThrow } from '../src/db/migrate.ts';
import { missingSpans, OtlpLoad } from './helpers/otlp-load.ts';
import { createIngestKey, startServe } from './helpers/serve-process.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const REQUEST_TIMEOUT_MS = 40_000;

/** Loads serve until `spans` are acknowledged, SIGKILLs it mid-load, and returns what was acknowledged. */
async function killMidLoad(t: Test, env: Record<string, string>, key: string, spans: number) {
  const serve = await startServe(t, env);
  const load = new OtlpLoad({ url: serve.otlpHttpUrl, key, clients: 6, spansPerRequest: 50, deadline: Date.now() + 60_000, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  t.ok(await load.waitFor(() => load.acknowledged.length >= spans), `load acknowledged (${load.acknowledged.length} spans)`);
  serve.child.kill('SIGKILL');
  const [, signal] = await serve.exited;
  await load.stop();
  t.equal(signal, 'SIGKILL', 'serve died of SIGKILL');
  t.ok(load.answers.some((a) => a.status === 0), 'requests in flight at the kill, or sent after it, failed without an answer');
  t.same(load.answers.filter((a) => a.status !== 200 && a.status !== 0).map((a) => a.status), [], 'every answer before the kill was 200');
  return load;
}

/** A new serve on the same data: it starts, takes the key and stores one more request. */
async function restartAndIngest(t: Test, env: Record<string, string>, key: string) {
  const serve = await startServe(t, env);
  const after = new OtlpLoad({ url: serve.otlpHttpUrl, key, clients: 1, spansPerRequest: 10, deadline: Date.now() + 30_000, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  t.ok(await after.waitFor(() => after.acknowledged.length >= 10), 'the restarted serve acknowledges new spans');
  await after.stop();
  return { serve, after };
}

t.test('SIGKILL mid-load with DATABASE_URL: every acknowledged span is stored', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const { key } = await createIngestKey(handle.db);
  const env = { DATABASE_URL: url };
  const load = await killMidLoad(t, env, key, 2_000);
  const lost = await missingSpans(url, load.acknowledged);
  t.equal(lost.length, 0, `all ${load.acknowledged.length} acknowledged spans are stored`);

  const { serve, after } = await restartAndIngest(t, env, key);
  t.equal((await missingSpans(url, after.acknowledged)).length, 0, 'and so are the new ones');
  serve.child.kill('SIGTERM');
  t.equal((await serve.exited)[0], 0, 'the restarted serve stops cleanly');
});

t.test('SIGKILL mid-load on the embedded PostgreSQL: every acknowledged span is stored and a new serve takes over', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-fault-kill-'));
  // Removed last (teardowns run in reverse order): after the servers of this test are gone.
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env = { JUSTANALYTICS_DATA_DIR: dataDir, DATABASE_URL: '' };

  // The site and key are made before the first serve, by a process of our own that starts (then stops) the embedded server.
  const setup = await openDatabase({ dataDir, logger: pino({ level: 'silent' }) });
  let key: string;
  try {
    await migrateToLatestOrThrow(setup.db);
    key = (await createIngestKey(setup.db)).key;
  } finally {
    await setup.close();
  }

  const load = await killMidLoad(t, env, key, 1_000);
  const { serve, after } = await restartAndIngest(t, env, key);

  // Read through the running server of the data directory (this process joins it, and leaves it running).
  const reader = await openDatabase({ dataDir, logger: pino({ level: 'silent' }) });
  try {
    const lost = await missingSpans(reader.connectionString, [...load.acknowledged, ...after.acknowledged]);
    t.equal(lost.length, 0, `all ${load.acknowledged.length + after.acknowledged.length} acknowledged spans are stored`);
  } finally {
    await reader.close();
  }
  serve.child.kill('SIGTERM');
  t.equal((await serve.exited)[0], 0, 'the restarted serve stops cleanly, with its embedded server');
});
