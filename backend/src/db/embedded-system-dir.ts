import { chmod, lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Where root keeps what the postgres OS user must reach when the checkout or
 * the data directory lies where it cannot (a home directory of mode 0700): a
 * copy of the PostgreSQL binaries and the clusters of such data directories.
 */
export const DEFAULT_SYSTEM_DIR = '/var/lib/justanalytics';

/**
 * Makes `path` (and missing parents, mode 0755) a directory owned by root that
 * only root can write, with `mode`. We run programs from it and put clusters
 * in it as root, so a directory someone else could write is refused, never
 * repaired.
 */
export async function ensureRootDirectory(path: string, mode: number): Promise<void> {
  try {
    await makeDirectory(path, mode);
    const stats = await lstat(path);
    if (!stats.isDirectory() || stats.uid !== 0 || (stats.mode & 0o022) !== 0) {
      throw new Error(`${path} must be a directory owned by root and writable only by root`);
    }
    if ((stats.mode & 0o7777) !== mode) await chmod(path, mode);
  } catch (error) {
    if (error instanceof Error && !('code' in error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot make ${path} (${code}), where root keeps what the postgres OS user cannot reach in place: make it writable, run from a checkout and --data-dir every user can enter, or set DATABASE_URL`,
      { cause: error },
    );
  }
}

/**
 * mkdir -p. Node's own recursive mkdir never returns for some paths (under
 * /proc it loops forever), so this one walks up by itself, once per level.
 */
export async function makeDirectory(path: string, mode = 0o755): Promise<void> {
  try {
    await mkdir(path, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await lstat(path)).isDirectory()) return;
      throw Object.assign(new Error(`${path} exists and is not a directory`), { code: 'ENOTDIR' });
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw error;
    await makeDirectory(parent, 0o755);
    await mkdir(path, { mode }).catch(async (again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST' || !(await lstat(path)).isDirectory()) throw again;
    });
  }
}
