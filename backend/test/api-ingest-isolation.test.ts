// Covers the running system's two database pools: while every query API
// connection is stuck (searches waiting on a lock), OTLP ingest keeps answering
// 200 at once, and the stuck searches end as 503 UNAVAILABLE with Retry-After
// within the API statement timeout instead of holding connections forever.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import t from 'tap';
import { readConfig } from '../src/config.ts';
import { partitionName, utcDayNumber } from '../src/db/partitions.ts';
import { startServer } from '../src/serve.ts';
import { createApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { url, handle } = await createTestDatabase(t);
const siteId = (await createSite(handle.db, { name: 'isolation' })).id;
// Made before the server starts, so that it loads them at start.
const ingestKey = (await createApiKey(handle.db, { siteId, scopes: ['ingest'] })).key;
const readKey = (await createApiKey(handle.db, { siteId, scopes: ['read'] })).key;

const server = await startServer(
  { ...readConfig({}, {}), databaseUrl: url, host: '127.0.0.1', otlpHttpPort: 0, otlpGrpcPort: 0, apiPort: 0, apiPoolSize: 2, apiStatementTimeoutMs: 1500 },
  pino({ level: 'silent' }),
);
t.teardown(() => server.shutdown());

async function exportSpan(startMs: number): Promise<{ status: number; ms: number }> {
  const startNs = BigInt(startMs) * 1_000_000n;
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'isolated' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'op',
                kind: 2,
                startTimeUnixNano: startNs.toString(),
                endTimeUnixNano: (startNs + 1_000_000n).toString(),
              },
            ],
          },
        ],
      },
    ],
  });
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

t.test('ingest does not wait for queries, and stuck queries end as 503', async (t) => {
  // A span of yesterday, so that yesterday's partition exists; then lock it. A
  // search by service over yesterday must read it and waits; today's ingest
  // never touches it.
  const yesterday = Date.now() - 86_400_000;
  t.equal((await exportSpan(yesterday)).status, 200);
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  t.teardown(() => locker.end());
  await locker.query(`BEGIN; LOCK TABLE ${partitionName('spans', utcDayNumber(new Date(yesterday)))} IN ACCESS EXCLUSIVE MODE`);

  const dayStart = Math.floor(yesterday / 86_400_000) * 86_400_000;
  const searches = Array.from({ length: 12 }, async () => {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/traces?service=isolated&start=${dayStart}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    const body = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: body.error?.code, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
  });

  const exports: Array<{ status: number; ms: number }> = [];
  for (let i = 0; i < 15; i++) {
    exports.push(await exportSpan(Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.strictSame(exports.map((e) => e.status), exports.map(() => 200), 'every export committed');
  const slowest = Math.max(...exports.map((e) => e.ms));
  t.ok(slowest < 1000, `slowest export ${Math.round(slowest)} ms while the API's connections are stuck`);

  const answers = await Promise.all(searches);
  for (const answer of answers) {
    t.equal(answer.status, 503);
    t.equal(answer.code, 'UNAVAILABLE');
    t.equal(answer.retryAfter, '5');
  }
  t.ok(Math.max(...answers.map((a) => a.ms)) < 10_000, 'no search holds on for long');

  await locker.query('ROLLBACK');
  const after = await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/traces?service=isolated&start=${dayStart}`, {
    headers: { authorization: `Bearer ${readKey}` },
  });
  t.equal(after.status, 200, 'searches work again once the lock is gone');
});
