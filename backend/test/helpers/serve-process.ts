// `justanalytics serve` as a child process for fault tests: started on
// ephemeral loopback ports with the environment a test gives, its OTLP/HTTP
// port read from the "justanalytics is serving" log line, its memory read
// from /proc, and a site and ingest key made directly in the test database
// (so the tests do not depend on what a first run prints).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import type { Database } from '../../src/db/database.ts';
import { createApiKey } from '../../src/store/api-keys.ts';
import { createSite } from '../../src/store/sites.ts';

const bin = new URL('../../bin/justanalytics.js', import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  otlpHttpUrl: string;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** The last stderr lines (logs), for failure messages. */
  recentLogs(): string[];
}

/**
 * Starts `serve` with `env` added to this process's environment (DATABASE_URL
 * or JUSTANALYTICS_DATA_DIR say where the data is). Killed at teardown if it
 * is still running.
 */
export async function startServe(t: Test, env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'], {
    env: { ...process.env, JUSTANALYTICS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs: string[] = [];
  const httpPort = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 50) logs.shift();
      try {
        const entry = JSON.parse(line) as { msg?: string; otlpHttpPort?: number };
        if (entry.msg === 'justanalytics is serving' && entry.otlpHttpPort) resolve(entry.otlpHttpPort);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`serve exited (${code ?? signal}) before it was ready:\n${logs.join('\n')}`)));
  });
  if (child.pid === undefined) throw new Error('serve has no pid');
  return { child, pid: child.pid, otlpHttpUrl: `http://127.0.0.1:${httpPort}`, exited, recentLogs: () => [...logs] };
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status), or null once it is gone. */
export function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** A new site and a key of it with the ingest and read scopes, made directly in the database. */
export async function createIngestKey(db: Kysely<Database>, name = 'fault-test'): Promise<{ siteId: string; key: string }> {
  const site = await createSite(db, { name });
  const { key } = await createApiKey(db, { siteId: site.id, scopes: ['ingest', 'read'] });
  return { siteId: site.id, key };
}
