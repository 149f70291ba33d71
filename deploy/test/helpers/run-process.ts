// Child processes for the deploy tests: a `justanalytics` role started as a
// deploy file starts it (optionally as another OS user), waited on until it
// logs that it is serving, and killed at teardown; free loopback ports; the
// image's healthcheck script run with a process's environment.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';

export interface Started {
  child: ChildProcess;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  recentLogs(): string[];
}

export interface StartOptions {
  /** Directory holding backend/bin/justanalytics.js (the checkout, or a replayed image). */
  cwd: string;
  /** The command line of the container: [executable, ...arguments]. */
  command: string[];
  env: Record<string, string>;
  /** Run as this uid:gid through setpriv. */
  user?: { uid: number; gid: number };
}

export async function startProcess(t: Test, { cwd, command, env, user }: StartOptions): Promise<Started> {
  const [file, ...args] = asUser(command, user);
  const child = spawn(file!, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 50) logs.shift();
      try {
        if ((JSON.parse(line) as { msg?: string }).msg === 'justanalytics is serving') resolve();
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`${command.join(' ')} exited (${code ?? signal}) before it was serving:\n${logs.join('\n')}`)));
  });
  return { child, exited, recentLogs: () => [...logs] };
}

/** A loopback port free at the moment of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** GETs a path until it answers `status` (readiness follows the database), or returns the last status after `ms`. */
export async function getUntil(url: string, status: number, ms = 10_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    let got: number;
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      got = response.status;
    } catch {
      got = 0;
    }
    if (got === status || Date.now() > deadline) return got;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a command (the image's HEALTHCHECK) with this environment; resolves with its exit code and stderr. */
export function runCommand(cwd: string, command: string[], env: Record<string, string>, user?: { uid: number; gid: number }): Promise<{ code: number; stderr: string }> {
  const [file, ...args] = asUser(command, user);
  return new Promise((resolve) => {
    execFile(file!, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

/**
 * The command line that runs `command` as `user` (through setpriv, which
 * execs, so the PID stays the command's), without NODE_OPTIONS: tap adds its
 * process-tracking hook there for every child, and a container has none.
 */
function asUser(command: string[], user: { uid: number; gid: number } | undefined): string[] {
  const clean = ['env', '-u', 'NODE_OPTIONS', ...command];
  return user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...clean] : clean;
}
