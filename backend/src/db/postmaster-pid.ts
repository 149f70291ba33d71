import { readFile, readlink, realpath } from 'node:fs/promises';
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
 * True when `pid` is the live PostgreSQL of the cluster at `pgDir`. After a
 * reboot or in a new container the PID of a stale lock file may belong to
 * another program, or to the PostgreSQL of another cluster; on Linux /proc
 * tells them apart: the program's name, and its working directory, which a
 * postmaster sets to its cluster before it writes the lock file. Whatever
 * cannot be read counts as ours, since removing the lock file of a live
 * server would let a second one start on the same files.
 */
export async function isLivePostgres(pid: number, pgDir: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else (postgres, when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let command: string;
  try {
    command = await readFile(`/proc/${pid}/comm`, 'utf8');
  } catch {
    return true; // No /proc (macOS): trust the signal check.
  }
  if (!command.trim().startsWith('postgres')) return false;
  try {
    const [cwd, cluster] = await Promise.all([readlink(`/proc/${pid}/cwd`), realpath(pgDir)]);
    return cwd === cluster;
  } catch {
    return true; // Not ours to inspect (another user's process, as non-root).
  }
}
