// `justanalytics serve` as a child process for fault tests (a role of
// role-process.ts, seen by its OTLP/HTTP URL and pid), its memory read from
// /proc, and a site and ingest key made directly in the test database
// (so the tests do not depend on what a first run prints).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import type { Database } from '../../src/db/database.ts';
import { createApiKey } from '../../src/store/api-keys.ts';
import { createSite } from '../../src/store/sites.ts';
import { roleArgs, startRole } from './role-process.ts';

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
  const role = await startRole(t, roleArgs.serve, env);
  if (role.child.pid === undefined) throw new Error('serve has no pid');
  return { child: role.child, pid: role.child.pid, otlpHttpUrl: `http://127.0.0.1:${role.serving.otlpHttpPort}`, exited: role.exited, recentLogs: role.recentLogs };
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
