// A role of `justanalytics` (`collect`, `serve`, `serve --no-ingest`) as a
// child process for the scale-out tests: started on ephemeral loopback
// ports with the environment a test gives, its ports read from the
// "justanalytics is serving" log line, its stdout (the first-run banner)
// kept. Killed at teardown if it is still running.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';

const bin = new URL('../../bin/justanalytics.js', import.meta.url).pathname;

export interface ServingLine {
  role: string;
  otlpHttpPort?: number;
  otlpGrpcPort?: number;
  apiPort?: number;
}

export interface RoleProcess {
  child: ChildProcess;
  serving: ServingLine;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** What it printed on stdout so far. */
  stdout(): string;
  /** The last stderr lines (logs), for failure messages. */
  recentLogs(): string[];
}

/** The arguments that put a role on ephemeral loopback ports. */
export const roleArgs = {
  collect: ['collect', '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0'],
  serve: ['serve', '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'],
  serveNoIngest: ['serve', '--no-ingest', '--host', '127.0.0.1', '--api-port', '0'],
} as const;

export async function startRole(t: Test, args: readonly string[], env: Record<string, string>): Promise<RoleProcess> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, JUSTANALYTICS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const logs: string[] = [];
  const serving = await new Promise<ServingLine>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 50) logs.shift();
      try {
        const entry = JSON.parse(line) as ServingLine & { msg?: string };
        if (entry.msg === 'justanalytics is serving') resolve(entry);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${logs.join('\n')}`)));
  });
  return { child, serving, exited, stdout: () => stdout, recentLogs: () => [...logs] };
}

/** Stops a role with SIGTERM and resolves with its exit code. */
export async function stopRole(role: RoleProcess): Promise<number | null> {
  role.child.kill('SIGTERM');
  return (await role.exited)[0];
}
