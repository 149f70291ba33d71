// `justanalytics serve` as its own process for the ingest and soak benchmarks
// (bench/ingest.ts, bench/soak.ts): on a temporary data directory with its
// embedded PostgreSQL (or DATABASE_URL, then an empty database), sending with
// the ingest key of the default site its first run creates; and the HTTP
// exporters that send to it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { openDatabase, type DatabaseHandle } from '../backend/src/db/connect.ts';
import { npmStartNodeFlags } from '../deploy/start-flags.ts';
import type { TrackRequest } from './sample-track.ts';

export interface BenchServer {
  pid: number;
  /** The default site's ingest key and ID, from the first-run banner. */
  key: string;
  siteId: string;
  ports: { otlpHttpPort: number; otlpGrpcPort: number };
  /** A connection to the server's database: its embedded PostgreSQL, joined, or DATABASE_URL. */
  db: DatabaseHandle;
  /** Whether the database is the server's embedded PostgreSQL (its processes are the server's children). */
  embedded: boolean;
  /** Closes the database connection, stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * How the benchmarks start `justanalytics`: `node`, the flags `npm start`
 * gives it (package.json, the one place they are set for a checkout), the
 * command's script.
 */
export function serverArgs(...args: string[]): string[] {
  return [...npmStartNodeFlags(), new URL('../backend/bin/justanalytics.js', import.meta.url).pathname, ...args];
}

export async function startBenchServer(): Promise<BenchServer> {
  const logger = pino({ level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-bench-'));
  const server = spawn(
    process.execPath,
    serverArgs('serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'),
    // /api/track requests carry each visitor's address in X-Forwarded-For, as a proxy on this host would.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JUSTANALYTICS_TRUSTED_PROXIES: '127.0.0.1' } },
  );
  let db: DatabaseHandle | undefined;
  const stop = async (): Promise<void> => {
    await db?.close();
    server.kill('SIGTERM');
    if (server.exitCode === null && server.signalCode === null) await once(server, 'exit');
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // The first-run banner on stdout carries the ingest key, the "serving" log line on stderr the ports.
    let key = '';
    let siteId = '';
    createInterface({ input: server.stdout }).on('line', (line) => {
      key ||= /^\s*ingest key\s+(ja_sk_[A-Za-z0-9_-]+)/.exec(line)?.[1] ?? '';
      siteId ||= /created site (\d+)/.exec(line)?.[1] ?? '';
    });
    const ports = await new Promise<{ otlpHttpPort: number; otlpGrpcPort: number }>((resolve, reject) => {
      createInterface({ input: server.stderr }).on('line', (line) => {
        if (line.includes('justanalytics is serving')) resolve(JSON.parse(line) as { otlpHttpPort: number; otlpGrpcPort: number });
      });
      server.on('exit', () => reject(new Error('serve exited before it was ready')));
    });
    if (!key || !siteId) throw new Error('bench needs an empty database (it uses the ingest key of the default site)');
    // This process joins the embedded PostgreSQL (it does not stop it).
    db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir, logger });
    return { pid: server.pid!, key, siteId, ports, db, embedded: process.env.DATABASE_URL === undefined, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One transport's connection(s): `send` resolves true when the export was acknowledged. */
export interface Exporter {
  send(body: Buffer): Promise<boolean>;
  close(): void;
}

export function httpExporter(port: number, key: string, clients: number, path = '/v1/traces'): Exporter {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const headers = { 'content-type': 'application/x-protobuf', authorization: `Bearer ${key}` };
  return {
    send: (body) =>
      new Promise((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** /api/track: each payload index picks a prepared request (body and the browser's headers); 202 is acknowledged. */
export function trackExporter(port: number, clients: number, requests: readonly TrackRequest[]): Exporter {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  return {
    send: (index) =>
      new Promise((resolve, reject) => {
        const { body, headers } = requests[index.readUInt32LE(0)]!;
        const req = request({ agent, host: '127.0.0.1', port, path: '/api/track', method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 202 && res.headers['x-justanalytics-dropped'] === undefined));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** The payloads of trackExporter: each request's index in four bytes, in place of a body. */
export function trackIndexes(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const index = Buffer.alloc(4);
    index.writeUInt32LE(i);
    return index;
  });
}
