// Fault: PostgreSQL goes away for a few seconds under load and comes back.
// `justanalytics serve` runs as a child process against the test's own
// database through a TCP proxy the test cuts (every connection dropped, new
// ones refused) and restores on the same port; the shared server itself is
// never touched. While the database is away, exporters (4 clients, raw
// OTLP/HTTP) get 503 (or 429) with Retry-After, never 500 and never an answer
// later than the flush timeout; afterwards ingest answers 200 again, and every
// span acknowledged with a 200, before, during or after, is in the spans table.
import t from 'tap';
import { proxyInFrontOf } from './helpers/tcp-proxy.ts';
import { createTestDatabase } from './helpers/test-database.ts';
import { missingSpans, OtlpLoad, sleep } from './helpers/otlp-load.ts';
import { createIngestKey, startServe } from './helpers/serve-process.ts';

// The store's flush timeout is 30 s: no export may wait longer than that and a margin.
const REQUEST_TIMEOUT_MS = 40_000;
const OUTAGE_MS = 4_000;

t.test('a database outage under load gives retryable refusals, then recovery, and loses nothing acknowledged', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const { key } = await createIngestKey(handle.db);
  const { proxy, url: viaProxy } = await proxyInFrontOf(t, url);

  const serve = await startServe(t, { DATABASE_URL: viaProxy });
  const load = new OtlpLoad({ url: serve.otlpHttpUrl, key, clients: 4, spansPerRequest: 50, deadline: Date.now() + 90_000, requestTimeoutMs: REQUEST_TIMEOUT_MS });

  // Before: the load is acknowledged.
  t.ok(await load.waitFor(() => load.acknowledged.length >= 1_000), `load acknowledged before the outage (${load.acknowledged.length} spans)`);

  // During: the proxy drops every connection and refuses new ones.
  await proxy.stop();
  const outageStart = Date.now();
  await sleep(OUTAGE_MS);
  const outageEnd = Date.now();
  await proxy.start();
  const restored = Date.now();

  // After: wait for ten 200s answered after the database came back.
  const recovered = await load.waitFor(() => load.answers.filter((a) => a.at > restored && a.status === 200).length >= 10, Date.now() + 45_000);
  await load.stop();
  const recoveredAt = load.answers.find((a) => a.at > restored && a.status === 200)?.at;

  const during = load.answers.filter((a) => a.at > outageStart && a.at <= outageEnd);
  const refusals = load.answers.filter((a) => a.status === 503 || a.status === 429);
  t.same(
    load.answers.filter((a) => ![200, 429, 503].includes(a.status)).map((a) => `${a.status} ${a.error ?? ''}`),
    [],
    'every answer is 200, 429 or 503: never a 500, a dropped connection or a hang past the flush timeout',
  );
  t.ok(during.some((a) => a.status === 503), `503s while the database was away (${JSON.stringify(load.statusesSince(outageStart))} since the cut)`);
  t.same(refusals.filter((a) => !/^[1-9]\d*$/.test(a.retryAfter ?? '')).length, 0, `all ${refusals.length} refusals carry Retry-After in seconds`);
  t.ok(recovered, `200 again after the database came back (first after ${recoveredAt === undefined ? '—' : recoveredAt - restored} ms)`);
  t.comment(`${load.answers.length} answers; slowest ${Math.max(...load.answers.map((a) => a.ms))} ms`);

  const missing = await missingSpans(url, load.acknowledged);
  t.equal(missing.length, 0, `all ${load.acknowledged.length} acknowledged spans are stored`);

  serve.child.kill('SIGTERM');
  const [code] = await serve.exited;
  t.equal(code, 0, 'serve stops cleanly afterwards');
});
