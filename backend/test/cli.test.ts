// The `justanalytics` command: sites and keys with --json output on a server
// database (keys ingest-only unless --scopes asks for more), usage errors, the
// first run's two keys (an ingest key that cannot read, a read key that cannot
// ingest), and the embedded database shared with a running `serve` (the admin
// commands join it instead of starting a second PostgreSQL, and the keys they
// make work on the running server within a second).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { otlpJsonTraces } from './helpers/otlp-json-request.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

t.test('sites and keys on DATABASE_URL', async (t) => {
  const { url } = await createTestDatabase(t);
  const env = { DATABASE_URL: url };

  const site = await run(['sites', 'create', '--name', 'shop', '--domain', 'shop.example', '--json'], env);
  t.equal(site.code, 0, site.stderr);
  const created = JSON.parse(site.stdout) as { id: string; name: string; domains: string[] };
  t.match(created, { id: /^[0-9]+$/, name: 'shop', domains: ['shop.example'] });

  const key = await run(['keys', 'create', '--site', created.id, '--json'], env);
  t.equal(key.code, 0, key.stderr);
  const madeKey = JSON.parse(key.stdout) as { id: string; key: string; scopes: string[] };
  t.match(madeKey.key, /^ja_sk_[A-Za-z0-9_-]{32,}$/);
  t.same(madeKey.scopes, ['ingest'], 'without --scopes a key may only ingest');

  const reader = await run(['keys', 'create', '--site', created.id, '--scopes', 'read,ingest'], env);
  t.equal(reader.code, 0, reader.stderr);
  t.match(reader.stdout, /^ja_sk_[A-Za-z0-9_-]{43}\n$/);
  t.match(reader.stderr, /with scopes ingest,read: store it now/);

  const listed = await run(['keys', 'list', '--site', created.id, '--json'], env);
  t.equal(listed.code, 0, listed.stderr);
  t.notMatch(listed.stdout, madeKey.key, 'listings never show the secret');
  const keys = (JSON.parse(listed.stdout) as { keys: Array<{ id: string; scopes: string[]; revokedAt: unknown }> }).keys;
  t.match(keys, [
    { id: madeKey.id, scopes: ['ingest'], revokedAt: null },
    { scopes: ['ingest', 'read'], revokedAt: null },
  ]);

  const revoked = await run(['keys', 'revoke', madeKey.id, '--json'], env);
  t.equal(revoked.code, 0, revoked.stderr);
  t.same(JSON.parse(revoked.stdout), { id: madeKey.id, revoked: true });
  const again = await run(['keys', 'revoke', madeKey.id], env);
  t.equal(again.code, 2, 'revoking twice is an error');

  const sites = await run(['sites', 'list', '--json'], env);
  t.match(JSON.parse(sites.stdout), { sites: [{ id: created.id, name: 'shop' }] });

  const migrate = await run(['migrate'], env);
  t.equal(migrate.code, 0, migrate.stderr);
});

t.test('usage errors exit 2 with a message', async (t) => {
  const { url } = await createTestDatabase(t);
  const env = { DATABASE_URL: url };
  for (const [args, message] of [
    [['sites', 'create'], /needs --name/],
    [['keys', 'create', '--site', 'abc'], /--site must be a numeric ID/],
    [['keys', 'create', '--site', '999', '--scopes', 'ingest'], /there is no site 999/],
    [['keys', 'create', '--site', '1', '--scopes', 'root'], /unknown scope "root"/],
    [['frobnicate'], /unknown command/],
    [['sites', 'create', '--bogus'], /Unknown option/],
  ] as const) {
    const result = await run([...args], env);
    t.equal(result.code, 2, args.join(' '));
    t.match(result.stderr, message);
  }
});

t.test('the first run prints an ingest key and a read key, each good for its job only', async (t) => {
  const { url } = await createTestDatabase(t);
  const serve = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'], {
    env: { ...process.env, DATABASE_URL: url, JUSTANALYTICS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(serve, 'exit');
  t.teardown(() => {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  });
  const banner: string[] = [];
  createInterface({ input: serve.stdout }).on('line', (line) => banner.push(line));
  const ports = await new Promise<{ otlpHttpPort: number; apiPort: number }>((resolve, reject) => {
    createInterface({ input: serve.stderr }).on('line', (line) => {
      if (line.includes('justanalytics is serving')) resolve(JSON.parse(line) as { otlpHttpPort: number; apiPort: number });
    });
    serve.on('exit', () => reject(new Error('serve exited early')));
  });
  const text = banner.join('\n');
  const ingestKey = /^ {2}ingest key {2}(ja_sk_[A-Za-z0-9_-]{43})$/m.exec(text)?.[1];
  const readKey = /^ {2}read key {4}(ja_sk_[A-Za-z0-9_-]{43})$/m.exec(text)?.[1];
  if (ingestKey === undefined || readKey === undefined) throw new Error(`no two keys in the banner:\n${text}`);
  t.not(ingestKey, readKey);
  t.match(text, /for OpenTelemetry SDKs and exporters: sends data, cannot read any/);
  t.match(text, /for the query API: keep it out of exporter configs and browsers/);
  t.match(text, `OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20${ingestKey}"`, 'the exporter setup uses the ingest key');
  t.match(text, `curl -H "Authorization: Bearer ${readKey}"`, 'the query example uses the read key');

  const ingest = (key: string) =>
    fetch(`http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: otlpJsonTraces(2).body,
    });
  const read = (key: string) => fetch(`http://127.0.0.1:${ports.apiPort}/api/v1/services`, { headers: { authorization: `Bearer ${key}` } });
  t.equal((await ingest(ingestKey)).status, 200, 'the ingest key ingests');
  t.equal((await read(ingestKey)).status, 403, 'the ingest key cannot read');
  t.equal((await ingest(readKey)).status, 403, 'the read key cannot ingest');
  t.equal((await read(readKey)).status, 200, 'the read key reads');

  serve.kill('SIGTERM');
  t.same(await exited, [0, null]);
});

t.test('admin commands join the embedded PostgreSQL that serve runs', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-cli-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env = { DATABASE_URL: '' };
  const serve = spawn(
    process.execPath,
    [bin, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = once(serve, 'exit');
  t.teardown(() => {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  });
  const httpPort = await new Promise<number>((resolve, reject) => {
    createInterface({ input: serve.stderr }).on('line', (line) => {
      if (line.includes('justanalytics is serving')) resolve((JSON.parse(line) as { otlpHttpPort: number }).otlpHttpPort);
    });
    serve.on('exit', () => reject(new Error('serve exited early')));
  });

  const key = await run(['keys', 'create', '--site', '1', '--scopes', 'ingest,read', '--json', '--data-dir', dataDir], env);
  t.equal(key.code, 0, key.stderr);
  const { key: secret } = JSON.parse(key.stdout) as { key: string };
  // The server hears of the key through LISTEN/NOTIFY: within a second, not at once.
  let status = 0;
  for (const deadline = Date.now() + 1000; status !== 200 && Date.now() < deadline; ) {
    const response = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: otlpJsonTraces(3).body,
    });
    status = response.status;
    await response.arrayBuffer();
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.equal(status, 200, 'the running server accepts a key made by the command within a second');

  serve.kill('SIGTERM');
  t.same(await exited, [0, null], 'serve stops cleanly');

  // With serve gone, the command starts the embedded server itself, and stops it again.
  const sites = await run(['sites', 'list', '--json', '--data-dir', dataDir], env);
  t.equal(sites.code, 0, sites.stderr);
  t.match(JSON.parse(sites.stdout), { sites: [{ id: '1', name: 'default' }] });
});
