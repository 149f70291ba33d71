// What a process (and, for the embedded PostgreSQL, its children) used, from
// /proc: CPU time (utime + stime, in clock ticks), resident memory (VmRSS) and
// its peak (VmHWM, which writing 5 to clear_refs resets, so each phase has its
// own peak).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const ticksPerSecond = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  ppid: number;
  /** utime + stime of the process, and cutime + cstime of its children it has waited for, in seconds. */
  own: number;
  reaped: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: the fields start after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14-17.
    const at = (field: number): number => Number(fields[field - 3]);
    return { ppid: at(4), own: (at(14) + at(15)) / ticksPerSecond, reaped: (at(16) + at(17)) / ticksPerSecond };
  } catch {
    return null; // gone, or not Linux
  }
}

/** CPU seconds the process has used. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.own ?? NaN;
}

/**
 * CPU seconds used by the process's descendants: those alive, plus what the
 * exited ones left in their parents' reaped times (PostgreSQL's backends, say).
 */
export function descendantsCpuSeconds(pid: number): number {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s !== null) stats.set(Number(entry), s);
  }
  const children = new Map<number, number[]>();
  for (const [child, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), child]);
  let seconds = 0;
  const visit = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      const s = stats.get(child)!;
      seconds += s.own + s.reaped;
      visit(child);
    }
  };
  visit(pid);
  return seconds;
}

/** A memory figure of /proc/<pid>/status (VmRSS, VmHWM, …) in MiB; NaN when the process is gone. */
function statusMiB(pid: number, field: string): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Math.round(Number(kb) / 1024);
  } catch {
    return NaN;
  }
}

/** Peak resident memory since start or the last resetPeakRss, in MiB. */
export function peakRssMiB(pid: number): number {
  return statusMiB(pid, 'VmHWM');
}

/** Resident memory now, in MiB. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

/** Starts a new peak (Linux 4.0+); false when the kernel refused, and the peak then counts from the start. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
