// Covers what every query API route shares: authentication (401 without or with
// an unknown key, 403 without the read scope), the error shape (400, 404 for
// unknown routes), /healthz and /readyz (200, and 503 when the database does not
// answer), the OpenAPI document, request IDs, and logs free of keys and addresses.
import { Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import t from 'tap';
import { buildApiServer } from '../src/api/server.ts';
import type { Database } from '../src/db/database.ts';
import { ApiKeyResolver, createApiKey, revokeApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { handle } = await createTestDatabase(t);
const { db } = handle;
const site = (await createSite(db, { name: 'a' })).id;
const readKey = await createApiKey(db, { siteId: site, scopes: ['read'] });
const ingestKey = await createApiKey(db, { siteId: site, scopes: ['ingest'] });
const revokedKey = await createApiKey(db, { siteId: site, scopes: ['read'] });
await revokeApiKey(db, revokedKey.id);

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});
const app = await buildApiServer({ db, keys: new ApiKeyResolver(db), logger: pino({ level: 'info' }, logSink) });
t.teardown(() => app.close());

const routes = ['/api/v1/traces/0af7651916cd43dd8448eb211c80319c', '/api/v1/traces', '/api/v1/services', '/api/v1/services/web/operations'];

t.test('every /api/v1 route needs a key', async (t) => {
  for (const url of routes) {
    const missing = await app.inject({ method: 'GET', url });
    t.equal(missing.statusCode, 401, url);
    t.equal(missing.headers['www-authenticate'], 'Bearer');
    t.strictSame(missing.json(), { error: { code: 'UNAUTHENTICATED', message: 'an API key is required: Authorization: Bearer ja_sk_…' } });

    for (const authorization of ['Bearer ja_sk_unknown', `Bearer ${revokedKey.key}`, `Basic ${readKey.key}`, 'Bearer']) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization } });
      t.equal(response.statusCode, 401, `${url} with ${authorization.slice(0, 12)}`);
      t.equal(response.json<{ error: { code: string } }>().error.code, 'UNAUTHENTICATED');
    }

    const noScope = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ingestKey.key}` } });
    t.equal(noScope.statusCode, 403, url);
    t.strictSame(noScope.json(), { error: { code: 'PERMISSION_DENIED', message: 'the API key lacks the "read" scope' } });

    const ok = await app.inject({ method: 'GET', url, headers: { authorization: `bearer  ${readKey.key}` } });
    t.ok(ok.statusCode === 200 || ok.statusCode === 404, `${url} with the read key: ${ok.statusCode}`);
  }
});

t.test('authentication comes before validation', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/api/v1/traces/nothex' });
  t.equal(response.statusCode, 401);
});

t.test('unknown routes and methods answer 404 in the error shape', async (t) => {
  for (const [method, url] of [
    ['GET', '/nope'],
    ['GET', '/api/v1/nope?x=1'],
    ['POST', '/api/v1/traces'],
  ] as const) {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${readKey.key}` } });
    t.equal(response.statusCode, 404, `${method} ${url}`);
    t.match(response.headers['content-type'], /application\/json/);
    t.strictSame(response.json(), { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.split('?')[0]}` } });
  }
});

t.test('healthz and readyz', async (t) => {
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);
  t.strictSame(health.json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.strictSame(ready.json(), { status: 'ok' });
});

t.test('readyz answers 503 when the database does not', async (t) => {
  // Port 1 on loopback: nothing listens, so connecting fails at once.
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
  const deadDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const dead = await buildApiServer({ db: deadDb, keys: new ApiKeyResolver(deadDb), logger: pino({ level: 'silent' }) });
  t.teardown(async () => {
    await dead.close();
    await deadDb.destroy();
  });
  const ready = await dead.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.strictSame(ready.json(), { error: { code: 'UNAVAILABLE', message: 'the database does not answer' } });
  t.equal((await dead.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
  const search = await dead.inject({ method: 'GET', url: '/api/v1/services', headers: { authorization: `Bearer ${readKey.key}` } });
  t.equal(search.statusCode, 503, 'a key that cannot be checked is not a 401');
  t.equal(search.json<{ error: { code: string } }>().error.code, 'UNAVAILABLE');
});

t.test('the OpenAPI document is public and lists every route', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  t.equal(response.statusCode, 200);
  const doc = response.json<{
    openapi: string;
    paths: Record<string, Record<string, { security?: unknown; parameters?: Array<{ name: string; in: string }> }>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  }>();
  t.match(doc.openapi, /^3\./);
  for (const path of ['/api/v1/traces/{traceId}', '/api/v1/traces', '/api/v1/services', '/api/v1/services/{service}/operations']) {
    t.ok(doc.paths[path]?.get, `GET ${path}`);
    t.strictSame(doc.paths[path]?.get?.security, [{ apiKey: [] }], `${path} needs the key`);
  }
  for (const path of ['/healthz', '/readyz']) t.ok(doc.paths[path]?.get, path);
  const searchParameters = doc.paths['/api/v1/traces']?.get?.parameters?.map((p) => p.name) ?? [];
  for (const name of ['service', 'operation', 'status', 'minDuration', 'maxDuration', 'start', 'end', 'limit', 'cursor']) {
    t.ok(searchParameters.includes(name), `search parameter ${name}`);
  }
  for (const schema of ['TracesData', 'Span', 'AnyValue', 'KeyValue', 'ApiError', 'TraceSummary']) t.ok(doc.components.schemas[schema], schema);
  t.ok(doc.components.securitySchemes['apiKey']);
});

t.test('request IDs are echoed or made', async (t) => {
  const given = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
  t.equal(given.headers['x-request-id'], 'abc-123');
  const made = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
  t.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('logs carry request IDs but no keys, addresses or query strings', async (t) => {
  await app.inject({
    method: 'GET',
    url: '/api/v1/traces?attr.secret=hunter2',
    headers: { authorization: `Bearer ${readKey.key}`, 'x-request-id': 'log-check' },
    remoteAddress: '203.0.113.7',
  });
  const text = logLines.join('');
  t.match(text, '"reqId":"log-check"');
  t.match(text, '"route":"/api/v1/traces"');
  t.notMatch(text, readKey.key);
  t.notMatch(text, ingestKey.key);
  t.notMatch(text, '203.0.113.7');
  t.notMatch(text, 'hunter2');
});
