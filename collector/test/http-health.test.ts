// Covers the health routes on the OTLP/HTTP port (receivers/http-health.ts):
// /healthz answers without a key; /readyz answers 200 while the readiness
// callback resolves, 503 UNAVAILABLE when it throws or does not answer in
// time, and 200 when none is given; neither is an export (a full memory
// budget or a closed in-flight count refuses exports, not health checks, and
// nothing reaches the sink); other methods on them are refused; and through
// createCollector on a real port, /readyz follows the caller's callback and
// turns 503 once shutdown begins.
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import { InFlight } from '../src/receivers/in-flight.ts';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import type { OtlpHttpServerOptions } from '../src/receivers/otlp-http.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, silentLogger } from './helpers/fixtures.ts';

async function buildHttpApp(options: Partial<OtlpHttpServerOptions> = {}) {
  const sink = options.sink instanceof MemorySink ? options.sink : new MemorySink();
  const app = await createOtlpHttpServer({ keys, logger: silentLogger, ...options, sink });
  return { app, sink };
}

const exportRequest = {
  method: 'POST' as const,
  url: '/v1/traces',
  headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
  payload: JSON.stringify(jsonRequest([jsonSpan()])),
};

t.test('/healthz answers without a key', async (t) => {
  const { app } = await buildHttpApp();
  t.teardown(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { status: 'ok' });
  t.equal(response.headers['cache-control'], 'no-store');
  t.equal((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode, 200, 'HEAD too');
});

t.test('/readyz follows the readiness callback', async (t) => {
  let failure: Error | null = null;
  const calls: number[] = [];
  const { app } = await buildHttpApp({
    readiness: async () => {
      calls.push(1);
      if (failure) throw failure;
    },
  });
  t.teardown(() => app.close());
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ok' });

  failure = new Error('connection refused');
  const unready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(unready.statusCode, 503);
  t.same(unready.json(), { error: { code: 'UNAVAILABLE', message: 'the storage does not answer' } }, 'the cause stays in the log');
  t.equal(calls.length, 2, 'asked on every request');

  failure = null;
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready again once it answers');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

t.test('/readyz is 503 when the callback does not answer in time', async (t) => {
  const app = await createOtlpHttpServer({
    sink: new MemorySink(),
    keys,
    logger: silentLogger,
    readiness: () => new Promise<void>(() => undefined),
    readyTimeoutMs: 50,
  });
  t.teardown(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(response.statusCode, 503);
  t.match(response.json(), { error: { code: 'UNAVAILABLE' } });
});

t.test('/readyz without a callback is ready while the port answers', async (t) => {
  const { app } = await buildHttpApp();
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});

t.test('bad options are refused when the server is made', async (t) => {
  await t.rejects(createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger, readyTimeoutMs: 0 }), /readyTimeoutMs must be a positive integer/);
  await t.rejects(
    createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger, readiness: 'yes' as never }),
    /readiness must be a function/,
  );
});

t.test('health checks are not exports: no budget, no in-flight count, nothing written', async (t) => {
  const memoryBudget = new MemoryBudget(1024);
  t.ok(memoryBudget.tryReserve(1024), 'the whole budget is taken');
  const inFlight = new InFlight();
  const sink = new MemorySink();
  const { app } = await buildHttpApp({ sink, memoryBudget, inFlight, readiness: async () => undefined });
  t.teardown(() => app.close());

  t.equal((await app.inject(exportRequest)).statusCode, 429, 'an export is refused over the budget');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  t.equal(inFlight.running, 0);

  memoryBudget.release(1024);
  await inFlight.close();
  t.equal((await app.inject(exportRequest)).statusCode, 503, 'an export is refused once in-flight closes');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is not');
  t.equal(sink.batches.length, 0, 'nothing reached the sink');
});

t.test('other methods and bodies on the health paths are refused, never crash', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    const response = await app.inject({ method, url: '/healthz', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x0a, 0x00]) });
    t.equal(response.statusCode, 404, `${method} /healthz`);
  }
  const withBody = await app.inject({ method: 'GET', url: '/readyz?x=%ff', headers: { 'content-type': 'application/json' } });
  t.ok(withBody.statusCode < 500, `a query string is ignored (${withBody.statusCode})`);
  t.equal(sink.batches.length, 0);
});

t.test('through createCollector on a real port: the callback decides, shutdown makes it unready', async (t) => {
  let ready = true;
  let entered!: () => void;
  const checking = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let hold = false;
  const collector = createCollector({
    sink: new MemorySink(),
    keys,
    logger: silentLogger,
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    readiness: async () => {
      if (hold) {
        entered();
        await held;
      }
      if (!ready) throw new Error('database down');
    },
  });
  t.teardown(() => collector.shutdown());
  const { httpPort } = await collector.start();
  const url = (path: string) => `http://127.0.0.1:${httpPort}${path}`;

  t.equal((await fetch(url('/healthz'))).status, 200);
  t.equal((await fetch(url('/readyz'))).status, 200);
  ready = false;
  const unready = await fetch(url('/readyz'));
  t.equal(unready.status, 503);
  t.match(await unready.json(), { error: { code: 'UNAVAILABLE' } });
  t.equal((await fetch(url('/healthz'))).status, 200, 'alive while unready');

  // A readiness check under way when shutdown begins: released once the port refuses new connections.
  ready = true;
  hold = true;
  const pending = fetch(url('/readyz'));
  await checking;
  const stopping = collector.shutdown();
  while (await fetch(url('/healthz')).then(() => true, () => false)) await new Promise((resolve) => setTimeout(resolve, 10));
  release();
  const answered = await pending;
  t.equal(answered.status, 503, 'a check answered after shutdown began is unready');
  await stopping;
  await t.rejects(fetch(url('/healthz')), 'the port is closed after shutdown');
});
