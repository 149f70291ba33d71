// Durability: `justanalytics serve` stopped with SIGTERM in the middle of a load
// from 8 clients exits cleanly and loses no span it acknowledged with a 200.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import t from 'tap';
import { otlpJsonTraces, type GeneratedSpan } from './helpers/otlp-json-request.ts';
import { createTestDatabase, queryOnce } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;

t.test('SIGTERM mid-load loses nothing acknowledged', async (t) => {
  const { url } = await createTestDatabase(t);
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'], {
    env: { ...process.env, DATABASE_URL: url, JUSTANALYTICS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  // The first-run banner on stdout holds the ingest key; the "serving" log line on stderr the ports.
  let key = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    const match = /^\s*ingest key\s+(ja_sk_[A-Za-z0-9_-]+)/.exec(line);
    if (match?.[1] !== undefined && !key) key = match[1];
  });
  const httpPort = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; otlpHttpPort?: number };
        if (entry.msg === 'justanalytics is serving' && entry.otlpHttpPort) resolve(entry.otlpHttpPort);
      } catch {
        // not a log line
      }
    });
    child.on('exit', () => reject(new Error('serve exited before it was ready')));
  });
  t.match(key, /^ja_sk_/, 'the first run printed a key');

  const acknowledged: GeneratedSpan[] = [];
  let stopped = false;
  const deadline = Date.now() + 30_000;
  const client = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      const { body, spans } = otlpJsonTraces(50);
      try {
        const response = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        });
        if (response.status === 200) acknowledged.push(...spans);
        await response.arrayBuffer();
      } catch {
        return; // the server has closed its port: this client is done
      }
    }
  };
  const clients = Array.from({ length: 8 }, () => client());

  // Let the load build up, then stop the server under it.
  while (acknowledged.length < 2_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  stopped = true;
  await Promise.all(clients);
  t.equal(signal, null, 'exited by itself, not by a signal');
  t.equal(code, 0, 'exit code 0');
  t.ok(acknowledged.length >= 2_000, `load was acknowledged (${acknowledged.length} spans)`);

  // Ended here, not in a teardown: teardowns may stop the test database first.
  const rows = await queryOnce<{ span_id: string }>(url, `SELECT encode(span_id, 'hex') AS span_id FROM spans`);
  const stored = new Set(rows.map((row) => row.span_id));
  const lost = acknowledged.filter((span) => !stored.has(span.spanId));
  t.equal(lost.length, 0, `all ${acknowledged.length} acknowledged spans are stored`);
});
