// Covers the query API when the database cannot answer in time: a statement
// over the API statement timeout, no free API connection, the database out of
// reach and a request over the handler timeout are each 503 UNAVAILABLE with
// Retry-After (never 500); and the listener's time limits (defaults, and a
// client that sends its headers too slowly is cut off).
import { connect } from 'node:net';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../src/api/error-handler.ts';
import { API_TIMEOUT_DEFAULTS, buildApiServer, type ApiServerOptions } from '../src/api/server.ts';
import { apiPoolConfig } from '../src/db/connect.ts';
import type { Database } from '../src/db/database.ts';
import { ApiKeyResolver, createApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;
const site = (await createSite(db, { name: 'a' })).id;
const key = (await createApiKey(db, { siteId: site, scopes: ['read'] })).key;
const keys = new ApiKeyResolver(db);

/** An API server whose queries run on a pool of their own, made with the API pool's settings. */
async function server(t: Test, pool: pg.PoolConfig, options: Partial<ApiServerOptions> = {}) {
  const apiPool = new pg.Pool(pool);
  // The teardown's DROP DATABASE … FORCE may kill a connection still closing after end(): not an error here.
  apiPool.on('error', () => undefined);
  const apiDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: apiPool }) });
  const app = await buildApiServer({ db: apiDb, readinessDb: db, keys, logger: testLogger(), ...options });
  t.teardown(async () => {
    await app.close();
    await apiDb.destroy();
  });
  const get = async (path: string) => {
    const response = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
    return { status: response.statusCode, body: response.json<unknown>(), retryAfter: response.headers['retry-after'] };
  };
  return { app, apiPool, get };
}

const unavailable = { error: { code: 'UNAVAILABLE', message: 'the query could not be answered in time; retry later' } };

/** Holds an ACCESS EXCLUSIVE lock on trace_summaries until the test ends, so every trace search waits. */
async function lockTraceSummaries(t: Test): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN; LOCK TABLE trace_summaries IN ACCESS EXCLUSIVE MODE');
  t.teardown(async () => {
    await client.query('ROLLBACK');
    await client.end();
  });
}

t.test('a query over the statement timeout is 503 with Retry-After', async (t) => {
  const { get } = await server(t, apiPoolConfig(url, { statementTimeoutMs: 200 }));
  await lockTraceSummaries(t);
  const started = Date.now();
  const response = await get('/api/v1/traces');
  t.equal(response.status, 503);
  t.strictSame(response.body, unavailable);
  t.equal(response.retryAfter, String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  t.ok(Date.now() - started < 3000, 'answered when the statement timed out');
});

t.test('no free API connection in time is 503 with Retry-After', async (t) => {
  const { get, apiPool } = await server(t, apiPoolConfig(url, { poolSize: 1, connectionTimeoutMs: 200 }));
  const held = await apiPool.connect();
  t.teardown(() => held.release());
  const response = await get('/api/v1/services');
  t.equal(response.status, 503);
  t.strictSame(response.body, unavailable);
  t.equal(response.retryAfter, String(UNAVAILABLE_RETRY_AFTER_SECONDS));
});

t.test('queries against a database out of reach are 503 with Retry-After, and readiness follows its own pool', async (t) => {
  // Port 1 on loopback: nothing listens, so connecting fails at once.
  const { get, app } = await server(t, { connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
  for (const path of ['/api/v1/traces', '/api/v1/services', '/api/v1/services/web/operations', `/api/v1/traces/${'ab'.repeat(16)}`]) {
    const response = await get(path);
    t.equal(response.status, 503, path);
    t.strictSame(response.body, unavailable, path);
    t.equal(response.retryAfter, String(UNAVAILABLE_RETRY_AFTER_SECONDS), path);
  }
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'readiness checks the readiness pool');
});

t.test('a request over the handler timeout is 503 with Retry-After', async (t) => {
  const { get } = await server(t, apiPoolConfig(url, {}), { timeouts: { handlerMs: 200, connectionMs: 1000 } });
  await lockTraceSummaries(t);
  const response = await get('/api/v1/traces');
  t.equal(response.status, 503);
  t.strictSame(response.body, unavailable);
  t.equal(response.retryAfter, String(UNAVAILABLE_RETRY_AFTER_SECONDS));
});

t.test('the listener has deliberate time limits', async (t) => {
  const { app } = await server(t, apiPoolConfig(url, {}));
  t.equal(app.server.headersTimeout, API_TIMEOUT_DEFAULTS.headersMs);
  t.equal(app.server.requestTimeout, API_TIMEOUT_DEFAULTS.requestMs);
  t.equal(app.server.keepAliveTimeout, API_TIMEOUT_DEFAULTS.keepAliveMs);
  t.equal(app.server.timeout, API_TIMEOUT_DEFAULTS.connectionMs);
  t.ok(API_TIMEOUT_DEFAULTS.connectionMs > API_TIMEOUT_DEFAULTS.handlerMs, 'a socket outlives the slowest answer');
  await t.rejects(buildApiServer({ db, keys, logger: testLogger(), timeouts: { headersMs: 5000, requestMs: 1000 } }), RangeError);
  await t.rejects(buildApiServer({ db, keys, logger: testLogger(), timeouts: { handlerMs: 5000, connectionMs: 5000 } }), RangeError);
});

t.test('a client that sends its headers too slowly is cut off', async (t) => {
  const { app } = await server(t, apiPoolConfig(url, {}), { timeouts: { headersMs: 300, requestMs: 300 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // and never the blank line that ends the headers
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  t.match(received, /^HTTP\/1\.1 408/, 'answered 408');
  t.ok(Date.now() - started < 3000, `closed after ${Date.now() - started} ms`);
});
