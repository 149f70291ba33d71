// `justanalytics collect`, the receivers alone, as real processes: on an empty
// database it migrates, makes the default site once (two collectors starting
// together print one banner between them), answers /healthz and /readyz on its
// OTLP/HTTP port without a key, stores exports sent with the banner's ingest
// key, opens no API port and runs no jobs; /readyz turns 503 while its database
// is unreachable and 200 again after; SIGTERM stops it cleanly; and command
// lines that mix the roles up are usage errors.
import { execFile } from 'node:child_process';
import t from 'tap';
import { listPartitions } from '../src/db/partitions.ts';
import { missingSpans } from './helpers/otlp-load.ts';
import { otlpJsonTraces } from './helpers/otlp-json-request.ts';
import { roleArgs, startRole, stopRole, type RoleProcess } from './helpers/role-process.ts';
import { proxyInFrontOf } from './helpers/tcp-proxy.ts';
import { createTestDatabase, queryOnce } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;

const ingestKeyOf = (banner: string) => /^ {2}ingest key {2}(ja_sk_[A-Za-z0-9_-]{43})$/m.exec(banner)?.[1];

async function getStatus(role: RoleProcess, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${role.serving.otlpHttpPort}${path}`);
  return { status: response.status, body: await response.json() };
}

t.test('two collectors on an empty database: migrated once, one banner, health routes, exports stored, no API, no jobs', async (t) => {
  const { url, handle } = await createTestDatabase(t, { skipMigrations: true });
  const env = { DATABASE_URL: url };
  const [first, second] = await Promise.all([startRole(t, roleArgs.collect, env), startRole(t, roleArgs.collect, env)]);
  for (const collector of [first, second]) {
    t.equal(collector.serving.role, 'collect');
    t.ok(collector.serving.otlpHttpPort && collector.serving.otlpGrpcPort, 'the serving line names both OTLP ports');
    t.equal(collector.serving.apiPort, undefined, 'and no API port');
    t.same(await getStatus(collector, '/healthz'), { status: 200, body: { status: 'ok' } });
    t.same(await getStatus(collector, '/readyz'), { status: 200, body: { status: 'ok' } });
  }
  t.equal((await queryOnce<{ n: string }>(url, 'SELECT count(*) AS n FROM sites'))[0]?.n, '1', 'one default site');

  const { body, spans } = otlpJsonTraces(5, 'collected');
  // The banner is printed just after the serving line: wait for whichever collector made the site.
  let banners: string[] = [];
  for (let i = 0; i < 200 && banners.length === 0; i++) {
    banners = [first, second].map((c) => c.stdout()).filter((out) => out.includes('ingest key'));
    if (banners.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const key = ingestKeyOf(banners[0] ?? '');
  if (key === undefined) throw new Error('no ingest key printed');
  t.match(banners[0], /justanalytics serve --no-ingest/, 'the banner says where the API is');
  for (const collector of [first, second]) {
    const response = await fetch(`http://127.0.0.1:${collector.serving.otlpHttpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    t.equal(response.status, 200, 'either collector takes the key');
  }
  t.same(await missingSpans(url, spans), [], 'stored');

  // Jobs: partition upkeep would make today's partitions of every table, the edge rollup its progress row.
  t.same(await listPartitions(handle.db, 'metric_points'), [], 'no partitions but those the store needed: no upkeep ran');
  t.same(await listPartitions(handle.db, 'service_edge_minutes'), []);
  t.not((await listPartitions(handle.db, 'spans')).length, 0, 'the store made the partitions of the spans it took');
  t.same(await queryOnce(url, 'SELECT * FROM service_edge_progress'), [], 'no edge rollup ran');

  t.equal(await stopRole(first), 0, 'SIGTERM stops a collector cleanly');
  t.equal(await stopRole(second), 0);
  const printed = [first, second].map((c) => c.stdout()).filter((out) => out.includes('ingest key'));
  t.equal(printed.length, 1, 'one of the two printed the banner');
});

t.test('/readyz follows the database: 503 while it is unreachable, 200 again after', async (t) => {
  const { url } = await createTestDatabase(t);
  const { proxy, url: viaProxy } = await proxyInFrontOf(t, url);
  const collector = await startRole(t, roleArgs.collect, { DATABASE_URL: viaProxy, JUSTANALYTICS_SHUTDOWN_TIMEOUT_MS: '2000' });
  t.equal((await getStatus(collector, '/readyz')).status, 200);

  await proxy.stop();
  const down = await getStatus(collector, '/readyz');
  t.equal(down.status, 503);
  t.match(down.body, { error: { code: 'UNAVAILABLE' } });
  t.equal((await getStatus(collector, '/healthz')).status, 200, 'alive while unready');

  await proxy.start();
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await getStatus(collector, '/readyz')).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(status, 200, 'ready again once the database answers');
  t.equal(await stopRole(collector), 0);
});

t.test('command lines that mix the roles up are usage errors', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
  const noIngest = await run(['collect', '--no-ingest']);
  t.equal(noIngest.code, 2);
  t.match(noIngest.stderr, /^justanalytics: collect is the receivers: --no-ingest is for serve\n/);
  const portOfNothing = await run(['serve', '--no-ingest', '--otlp-http-port', '4999']);
  t.equal(portOfNothing.code, 2);
  t.match(portOfNothing.stderr, /^justanalytics: --no-ingest runs no receivers: drop --otlp-http-port\n/);
  const usage = await run(['--help']);
  t.match(usage.code, 0);
});
