// Runs a collector (static test keys, a sink that drops everything) in a child
// process, so that a test can attack it and read the memory it took from the
// kernel, as an operator would see it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import type { CollectorOptions } from '../../src/receivers/collector.ts';

export interface CollectorProcess {
  pid: number;
  httpPort: number;
  grpcPort: number;
  /** Resident memory now (VmRSS), in bytes. */
  rssBytes(): Promise<number>;
  /** The most resident memory the process ever had (VmHWM), in bytes. */
  peakRssBytes(): Promise<number>;
  /** True while the process runs. */
  alive(): boolean;
}

const child = new URL('./collector-child.ts', import.meta.url).pathname;

/** Starts the child and waits until it listens; it is stopped at `t`'s teardown. */
export async function startCollectorProcess(t: Test, options: Omit<CollectorOptions, 'sink' | 'keys' | 'logger'> = {}): Promise<CollectorProcess> {
  const proc = spawn(process.execPath, [child, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  t.teardown(async () => {
    if (exited) return;
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  });
  const lines = createInterface({ input: proc.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), once(proc, 'exit').then(() => [null])])) as [string | null];
  if (first === null) throw new Error('the collector child exited before listening');
  const ports = JSON.parse(first) as { httpPort: number; grpcPort: number };
  const status = async (field: string): Promise<number> => {
    const text = await readFile(`/proc/${proc.pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (match === null) throw new Error(`no ${field} in /proc/${proc.pid}/status`);
    return Number(match[1]) * 1024;
  };
  return {
    pid: proc.pid as number,
    ...ports,
    rssBytes: () => status('VmRSS'),
    peakRssBytes: () => status('VmHWM'),
    alive: () => !exited,
  };
}
