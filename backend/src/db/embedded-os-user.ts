import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

/** The OS user PostgreSQL runs as when we are root (it refuses to run as root). */
export interface OsUser {
  uid: number;
  gid: number;
}

const execFileAsync = promisify(execFile);

/** Null when we are not root: then PostgreSQL runs as us and owns what we own. */
export async function postgresOsUser(logger: Logger): Promise<OsUser | null> {
  if (process.getuid?.() !== 0) return null;
  const lookup = async (): Promise<OsUser> => {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    logger.warn('running as root without a postgres OS user: creating one for the embedded PostgreSQL');
    try {
      await execFileAsync('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await execFileAsync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (error) {
      throw new Error('PostgreSQL cannot run as root and no `postgres` OS user could be created: create one, run as another user, or set DATABASE_URL', { cause: error });
    }
  }
}

/**
 * True when `user` can search (`-x` on a directory) or execute (on a file)
 * `path`, every directory above it included. Asked of the kernel by a child
 * run exactly as PostgreSQL will be (same uid and gid, and, as Node's spawn
 * does, no supplementary groups), so ACLs and odd mounts count too.
 */
export function canReach(user: OsUser, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('test', ['-x', path], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}
