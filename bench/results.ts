// Where benchmark results go: bench/results/<kind>-<date>.json (everything
// measured) and .md (the table the README shows), with the machine and the
// commit they were measured on.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { Latency } from './latency.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  commit: string;
}

export async function machineDescription(): Promise<Machine> {
  let commit = 'unknown';
  try {
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() + (dirty ? '+changes' : '');
  } catch {
    // not a git checkout
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, commit };
}

interface QueryResults {
  machine: Machine;
  database: string;
  idle: Record<string, Latency & { errors: number }>;
  whileIngesting: Record<string, Latency & { errors: number }>;
  [more: string]: unknown;
}

export function queryTable(results: QueryResults): string {
  const cell = (l: (Latency & { errors: number }) | undefined): string => {
    if (l === undefined) return '–';
    if (l.calls === 0) return `every call failed (${l.errors}: over the API's statement timeout)`;
    return `${l.p50} / ${l.p95} / ${l.p99}${l.errors ? ` (${l.errors} failed)` : ''}`;
  };
  const lines = [
    '| query | idle p50 / p95 / p99 ms | while ingesting p50 / p95 / p99 ms |',
    '| --- | --- | --- |',
    ...Object.keys(results.idle).map((name) => `| ${name} | ${cell(results.idle[name])} | ${cell(results.whileIngesting[name])} |`),
  ];
  return lines.join('\n');
}

export async function writeResults(kind: 'query', results: QueryResults): Promise<string> {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const m = results.machine;
  const markdown = [
    `# ${kind} benchmark, ${date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit}.`,
    `PostgreSQL: ${results.database}.`,
    '',
    queryTable(results),
    '',
  ].join('\n');
  // Several runs a day each keep their own files: -2, -3, … after the first.
  let base = new URL(`${kind}-${date}`, dir);
  for (let run = 2; existsSync(`${base.pathname}.json`); run++) base = new URL(`${kind}-${date}-${run}`, dir);
  await writeFile(`${base.pathname}.json`, JSON.stringify(results, null, 2) + '\n');
  await writeFile(`${base.pathname}.md`, markdown);
  console.log(`results: ${base.pathname}.md`);
  return markdown;
}
