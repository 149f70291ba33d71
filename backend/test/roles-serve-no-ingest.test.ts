// `justanalytics serve --no-ingest`, the API and the jobs without receivers,
// as a real process: on an empty database it migrates, makes the default site
// and prints a banner that sends exporters to `collect`; it opens the API port
// only (OTLP ports set in the environment, even taken ones, are not checked or
// opened); it runs the jobs (partition upkeep makes every table's partitions);
// its read key reads and /readyz answers; SIGTERM stops it cleanly. In
// process, startServer with ingest off reports no receiver ports.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import { readConfig } from '../src/config.ts';
import { listPartitions, partitionedTables } from '../src/db/partitions.ts';
import { startServer } from '../src/serve.ts';
import { roleArgs, startRole, stopRole } from './helpers/role-process.ts';
import { createTestDatabase } from './helpers/test-database.ts';

t.test('serve --no-ingest on an empty database: API and jobs, no receivers', async (t) => {
  const { url, handle } = await createTestDatabase(t, { skipMigrations: true });
  // A taken port named for OTLP/HTTP: a role that opens no receivers neither checks nor opens it.
  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const takenPort = (taken.address() as { port: number }).port;

  const api = await startRole(t, roleArgs.serveNoIngest, { DATABASE_URL: url, JUSTANALYTICS_OTLP_HTTP_PORT: String(takenPort) });
  t.equal(api.serving.role, 'serve --no-ingest');
  t.equal(api.serving.otlpHttpPort, undefined, 'no OTLP/HTTP port');
  t.equal(api.serving.otlpGrpcPort, undefined, 'no OTLP/gRPC port');
  const apiUrl = `http://127.0.0.1:${api.serving.apiPort}`;

  for (const table of partitionedTables) t.ok((await listPartitions(handle.db, table)).length >= 3, `the upkeep job made ${table} partitions`);

  let banner = '';
  for (let i = 0; i < 200 && !banner.includes('More keys'); i++) {
    banner = api.stdout();
    if (!banner.includes('More keys')) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const readKey = /^ {2}read key {4}(ja_sk_[A-Za-z0-9_-]{43})$/m.exec(banner)?.[1];
  if (readKey === undefined) throw new Error(`no read key in the banner:\n${banner}`);
  t.match(banner, /at a `justanalytics collect` \(OTLP\/HTTP 4318, OTLP\/gRPC 4317\)/, 'exporters are sent to a collector');
  t.match(banner, `curl -H "Authorization: Bearer ${readKey}" ${apiUrl}/api/v1/services`);
  t.notMatch(banner, /OTEL_EXPORTER_OTLP_ENDPOINT/, 'no endpoint of its own to give');

  const services = await fetch(`${apiUrl}/api/v1/services`, { headers: { authorization: `Bearer ${readKey}` } });
  t.equal(services.status, 200, 'the read key reads');
  t.same(await services.json(), { services: [] });
  t.equal((await fetch(`${apiUrl}/readyz`)).status, 200);
  t.equal((await fetch(`${apiUrl}/v1/traces`, { method: 'POST' })).status, 404, 'no OTLP route on the API port');
  t.equal(await stopRole(api), 0, 'SIGTERM stops it cleanly');
});

t.test('in process: startServer with ingest off opens the API only', async (t) => {
  const { url } = await createTestDatabase(t);
  const server = await startServer(
    { ...readConfig({ 'no-ingest': true }, {}), databaseUrl: url, host: '127.0.0.1', apiPort: 0 },
    pino({ level: 'silent' }),
  );
  t.teardown(() => server.shutdown());
  t.equal(server.otlpHttpPort, null);
  t.equal(server.otlpGrpcPort, null);
  t.ok(server.apiPort > 0);
  t.ok(server.createdDefaultSite, 'it made the default site');
  t.equal((await fetch(`http://127.0.0.1:${server.apiPort}/healthz`)).status, 200);
  await server.shutdown();
  await server.shutdown(); // safe twice
});

t.test('config: --no-ingest sets ingest off, and contradicting port flags are refused', async (t) => {
  t.equal(readConfig({}, {}).ingest, true, 'serve ingests by default');
  t.equal(readConfig({ 'no-ingest': true }, {}).ingest, false);
  t.throws(() => readConfig({ 'no-ingest': true, 'otlp-grpc-port': '4317' }, {}), /--no-ingest runs no receivers: drop --otlp-grpc-port/);
  t.equal(readConfig({ 'no-ingest': true }, { JUSTANALYTICS_OTLP_HTTP_PORT: '4318' }).ingest, false, 'the environment may name ports every role shares');
});
