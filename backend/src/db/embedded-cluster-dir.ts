import { createHash } from 'node:crypto';
import { lstat, readlink, realpath, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { canReach, type OsUser } from './embedded-os-user.ts';
import { ensureRootDirectory } from './embedded-system-dir.ts';

/** Where the PostgreSQL cluster of a data directory lives. */
export interface ClusterPlace {
  /** The cluster directory, as PostgreSQL is given it (`-D`): `<dataDir>/pg`, or where `<dataDir>/pg` points. */
  pgDir: string;
  /** The directory holding pgDir, where initdb works before its cluster is renamed into place. */
  home: string;
  /** Set when the cluster lives outside the data directory: the link `<dataDir>/pg` to make once it exists. */
  link: string | null;
}

/**
 * The cluster is `<dataDir>/pg` when PostgreSQL's OS user can reach the data
 * directory. As root in a directory the postgres user cannot enter (a checkout
 * in root's home, mode 0700), it lives in `<systemDir>/data/<id>/pg` instead,
 * `<id>` derived from the data directory's real path, and `<dataDir>/pg` is a
 * symbolic link to it: later runs, and admin commands joining a running
 * server, follow the link. The directories above are never opened up.
 */
export async function placeCluster(dataDir: string, osUser: OsUser | null, systemDir: string, logger: Logger): Promise<ClusterPlace> {
  const inside = join(dataDir, 'pg');
  const entry = await lstat(inside).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (entry?.isSymbolicLink()) {
    const target = resolve(dataDir, await readlink(inside));
    if (!(await isDirectory(target))) {
      throw new Error(`${inside} points to ${target}, which is gone: restore it, or remove ${inside} and ${join(dataDir, 'pg-credentials.json')} to start with an empty database`);
    }
    return { pgDir: target, home: dirname(target), link: null };
  }
  if (osUser === null || (await canReach(osUser, dataDir))) return { pgDir: inside, home: dataDir, link: null };
  if (entry !== null) {
    throw new Error(`the postgres OS user cannot reach ${inside}: make ${dataDir} and the directories above it searchable (chmod o+x), or move the data directory`);
  }

  const realDataDir = await realpath(dataDir);
  const id = createHash('sha256').update(realDataDir).digest('hex').slice(0, 24);
  const dataRoot = join(systemDir, 'data');
  const home = join(dataRoot, id);
  await ensureRootDirectory(systemDir, 0o755);
  await ensureRootDirectory(dataRoot, 0o711);
  await ensureRootDirectory(home, 0o711);
  // For whoever finds the directory: whose cluster it is.
  await writeFile(join(home, 'data-dir'), `${realDataDir}\n`, { mode: 0o644 });
  const pgDir = join(home, 'pg');
  if ((await isDirectory(pgDir)) && !(await isFile(join(dataDir, 'pg-credentials.json')))) {
    // The cluster of an earlier data directory at this path, deleted since:
    // its password is gone with it. Set it aside rather than destroy it.
    const aside = join(home, `pg.orphaned-${new Date().toISOString().replaceAll(':', '-')}`);
    await rename(pgDir, aside).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // Another process set it aside first.
    });
    logger.warn({ cluster: aside }, 'set aside the PostgreSQL cluster of an earlier data directory at this path; delete it when it is not needed');
  }
  logger.info({ dataDir, cluster: pgDir }, 'the postgres OS user cannot reach the data directory, so its PostgreSQL cluster lives outside it');
  return { pgDir, home, link: inside };
}

/** Makes `<dataDir>/pg` point at the cluster, once the cluster exists. */
export async function linkCluster(place: ClusterPlace): Promise<void> {
  if (place.link === null) return;
  try {
    await symlink(place.pgDir, place.link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process linked it meanwhile.
    if (resolve(dirname(place.link), await readlink(place.link)) !== place.pgDir) throw new Error(`${place.link} exists and does not point to ${place.pgDir}`, { cause: error });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}
