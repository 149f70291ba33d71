import { chmod, cp, lstat, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { binariesAt, type PostgresBinaries } from './embedded-binaries.ts';
import { canReach, type OsUser } from './embedded-os-user.ts';
import { ensureRootDirectory } from './embedded-system-dir.ts';

/**
 * The binaries as the postgres OS user can run them. Installed in a checkout
 * under a directory it cannot enter (root's home, mode 0700), they are copied
 * once per package version to `<systemDir>/postgres-<version>` and run from
 * there; the checkout's permissions are never changed.
 */
export async function runnableBinaries(binaries: PostgresBinaries, osUser: OsUser | null, systemDir: string, logger: Logger): Promise<PostgresBinaries> {
  if (osUser === null || ((await canReach(osUser, binaries.initdb)) && (await canReach(osUser, binaries.postgres)))) return binaries;
  const cacheDir = join(systemDir, `postgres-${binaries.version}`);
  if (!(await exists(join(cacheDir, 'native', 'bin', 'postgres')))) {
    await ensureRootDirectory(systemDir, 0o755);
    await copyNative(binaries.packageRoot, cacheDir, logger);
  }
  const copied = await binariesAt(cacheDir, logger);
  if (!(await canReach(osUser, copied.postgres))) {
    throw new Error(`the postgres OS user cannot run PostgreSQL from ${cacheDir} either: make the directories above it searchable by all users, or set DATABASE_URL`);
  }
  return copied;
}

/** Copies into a private directory renamed into place, so no process ever runs a half-made copy. */
async function copyNative(packageRoot: string, cacheDir: string, logger: Logger): Promise<void> {
  const workDir = await mkdtemp(`${cacheDir}.copy-`);
  try {
    // Library links stay links; binariesAt recreates any the package lacks.
    await cp(join(packageRoot, 'native'), join(workDir, 'native'), { recursive: true, verbatimSymlinks: true });
    await cp(join(packageRoot, 'package.json'), join(workDir, 'package.json'));
    await chmod(workDir, 0o755);
    try {
      await rename(workDir, cacheDir);
      logger.info({ from: packageRoot, to: cacheDir }, 'copied the PostgreSQL binaries where the postgres OS user can run them');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another process made the same copy meanwhile.
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await exists(join(cacheDir, 'native', 'bin', 'postgres')))) throw error;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
