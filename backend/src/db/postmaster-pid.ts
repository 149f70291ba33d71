import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a running PostgreSQL writes into `postmaster.pid` in its data directory. */
export interface PostmasterInfo {
  pid: number;
  port: number;
  /** `starting`, `ready`, `stopping` or `standby`; empty before it is known. */
  status: string;
}

/**
 * Reads the lock file of the data directory. Null when there is none or it is
 * not complete yet (PostgreSQL writes it in steps while it starts).
 */
export async function readPostmasterPid(pgDir: string): Promise<PostmasterInfo | null> {
  let text: string;
  try {
    text = await readFile(join(pgDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(port) || port <= 0) return null;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/**
 * True when `pid` is a live PostgreSQL process. After a reboot or in a new
 * container the PID of a stale lock file may belong to another program; on
 * Linux /proc tells them apart.
 */
export async function isLivePostgres(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else (postgres, when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const command = await readFile(`/proc/${pid}/comm`, 'utf8');
    return command.trim().startsWith('postgres');
  } catch {
    return true; // No /proc (macOS): trust the signal check.
  }
}
