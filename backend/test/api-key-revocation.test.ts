// The listening API key resolver, as two running processes would have it: a
// key created or revoked elsewhere (the `keys` command) takes effect in both
// within a second; a flood of unknown keys costs no query and evicts no good
// key; the listening connection, killed, comes back and revocations work
// again; the query API limits failed authentications per client address
// (behind a trusted proxy, by X-Forwarded-For) without ever refusing a good key.
import { randomBytes } from 'node:crypto';
import { FailedAuthLimiter } from '@justanalytics/collector';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import type { Test } from 'tap';
import { buildApiServer } from '../src/api/server.ts';
import { runKeysCommand } from '../src/cli/keys-command.ts';
import { readConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { ApiKeyResolver, createApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;
const site = (await createSite(db, { name: 'revocation' })).id;

interface Process {
  resolver: ApiKeyResolver;
  /** Queries run on the pool the resolver was given. */
  poolQueries(): number;
}

/** A resolver as `serve` starts one, on a pool of its own whose queries are counted. */
async function startProcess(t: Test, options: { failedAuthentications?: FailedAuthLimiter } = {}): Promise<Process> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // The teardown's DROP DATABASE … FORCE may kill a connection still closing after end(): not an error here.
  pool.on('error', () => undefined);
  let queries = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
    queries++;
    return query(...args);
  };
  pool.on('acquire', () => queries++);
  const processDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const resolver = new ApiKeyResolver(processDb, { connectionString: url, logger: testLogger(), minReconnectDelayMs: 50, maxReconnectDelayMs: 500, ...options });
  await resolver.start();
  t.teardown(async () => {
    await resolver.close();
    await processDb.destroy();
  });
  return { resolver, poolQueries: () => queries };
}

/** Milliseconds until every resolver answers `wanted` for `key`; fails past `limitMs`. */
async function msUntil(resolvers: ApiKeyResolver[], key: string, wanted: 'known' | 'unknown', limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const answers = await Promise.all(resolvers.map((resolver) => resolver.resolve(key)));
    if (answers.every((answer) => (answer === null) === (wanted === 'unknown'))) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`the key is not ${wanted} to every resolver after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function revokeWithTheCommand(keyId: string): Promise<void> {
  const lines: string[] = [];
  const code = await runKeysCommand({
    config: readConfig({}, { DATABASE_URL: url }),
    logger: testLogger(),
    args: ['revoke', keyId],
    values: {},
    out: (line) => lines.push(line),
  });
  if (code !== 0 || lines[0] !== `revoked key ${keyId}`) throw new Error(`keys revoke failed: ${code} ${lines.join('\n')}`);
}

function randomKey(): string {
  return 'ja_sk_' + randomBytes(32).toString('base64url');
}

const listeners = async (): Promise<number> => {
  const result = await sql<{ count: string }>`
    SELECT count(*) AS count FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'justanalytics-api-keys'`.execute(db);
  return Number(result.rows[0]?.count);
};

t.test('a key made or revoked by another process takes effect in both within a second', async (t) => {
  const [a, b] = [await startProcess(t), await startProcess(t)];
  const resolvers = [a.resolver, b.resolver];
  const created = await createApiKey(db, { siteId: site, scopes: ['ingest'] });
  const learnt = await msUntil(resolvers, created.key, 'known', 1000);
  t.same(await a.resolver.resolve(created.key), { keyId: created.id, siteId: site, scopes: ['ingest'] });

  await revokeWithTheCommand(created.id);
  const refused = await msUntil(resolvers, created.key, 'unknown', 1000);
  t.comment(`creation seen after ${learnt.toFixed(1)} ms, revocation after ${refused.toFixed(1)} ms`);
  t.equal(a.poolQueries() + b.poolQueries(), 0, 'the pool is not used: loads go over the listening connection');
});

t.test('a flood of unknown keys costs no query and evicts no good key', async (t) => {
  const { resolver, poolQueries } = await startProcess(t);
  const good = await createApiKey(db, { siteId: site, scopes: ['ingest', 'read'] });
  await msUntil([resolver], good.key, 'known', 1000);
  const loads = resolver.loads;
  let unknown = 0;
  for (let i = 0; i < 10_000; i++) {
    if ((await resolver.resolve(randomKey())) === null) unknown++;
    if (i % 1000 === 999) t.ok(await resolver.resolve(good.key), `the good key, after ${i + 1} unknown ones`);
  }
  t.equal(unknown, 10_000);
  t.equal(resolver.loads, loads, 'no load of the key set');
  t.equal(poolQueries(), 0, 'no query on the pool');
  t.match(await resolver.resolve(good.key), { keyId: good.id });
});

t.test('the listening connection, killed, comes back with every key reloaded', async (t) => {
  const [a, b] = [await startProcess(t), await startProcess(t)];
  const resolvers = [a.resolver, b.resolver];
  const before = await createApiKey(db, { siteId: site, scopes: ['ingest'] });
  await msUntil(resolvers, before.key, 'known', 1000);
  t.equal(await listeners(), 2);

  await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'justanalytics-api-keys'`.execute(db);
  // Revoked while nobody listens: only the reload on reconnecting can tell.
  await revokeWithTheCommand(before.id);
  await msUntil(resolvers, before.key, 'unknown', 3000);
  const deadline = Date.now() + 3000;
  while ((await listeners()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(await listeners(), 2, 'both listen again');

  const after = await createApiKey(db, { siteId: site, scopes: ['ingest'] });
  await msUntil(resolvers, after.key, 'known', 1000);
  await revokeWithTheCommand(after.id);
  t.ok((await msUntil(resolvers, after.key, 'unknown', 1000)) < 1000, 'a revocation after the reconnect takes effect within a second');
});

t.test('start() fails on a database it cannot reach, and close() is safe twice', async (t) => {
  const resolver = new ApiKeyResolver(db, { connectionString: 'postgres://nobody@127.0.0.1:1/none', logger: testLogger() });
  await t.rejects(resolver.start());
  await resolver.close();
  await resolver.close();
  const unstarted = new ApiKeyResolver(db);
  await unstarted.close();
  await t.rejects(unstarted.start(), /start\(\) when closed/);
});

t.test('the query API limits failed authentications per client, never a good key', async (t) => {
  // A stopped clock: no failure is earned back while the test runs, however slowly it runs.
  const stopped = () => new FailedAuthLimiter({ now: () => 0 });
  const { resolver } = await startProcess(t, { failedAuthentications: stopped() });
  const readKey = await createApiKey(db, { siteId: site, scopes: ['read'] });
  await msUntil([resolver], readKey.key, 'known', 1000);
  const app = await buildApiServer({ db, keys: resolver, logger: testLogger(), trustedProxies: ['127.0.0.1'] });
  t.teardown(() => app.close());
  const get = (client: string, key: string | null) =>
    app.inject({
      method: 'GET',
      url: '/api/v1/services',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': client, ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    });

  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await get('198.51.100.1', i % 2 === 0 ? randomKey() : null)).statusCode);
  t.ok(
    statuses.every((status) => status === 401),
    'the first 50 failures (unknown or missing keys) are 401',
  );
  const throttled = await get('198.51.100.1', randomKey());
  t.equal(throttled.statusCode, 429);
  t.equal(throttled.headers['retry-after'], '1');
  t.same(throttled.json(), { error: { code: 'RESOURCE_EXHAUSTED', message: 'too many requests with a missing or unknown API key, retry later' } });
  t.equal((await get('198.51.100.1', null)).statusCode, 429, 'a missing key too');

  t.equal((await get('198.51.100.1', readKey.key)).statusCode, 200, 'a good key from the throttled client still passes');
  t.equal((await get('198.51.100.2', randomKey())).statusCode, 401, 'another client behind the same proxy is not throttled');

  const untrusted = await buildApiServer({ db, keys: new ApiKeyResolver(db, { failedAuthentications: stopped() }), logger: testLogger() });
  t.teardown(() => untrusted.close());
  const direct = (client: string) =>
    untrusted.inject({ method: 'GET', url: '/api/v1/services', remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': client, authorization: `Bearer ${randomKey()}` } });
  for (let i = 0; i < 50; i++) await direct(`192.0.2.${i}`);
  t.equal((await direct('192.0.2.200')).statusCode, 429, 'without trusted proxies X-Forwarded-For is ignored: one client');
});
