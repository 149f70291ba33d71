import type { TimeRange } from '../time-range.ts';

// RED rollups are kept per minute and per hour. A range is read at minute
// granularity (it covers every minute it touches), from hour rows for the
// whole hours inside it and minute rows at its edges.

const msPerMinute = 60_000;
const msPerHour = 3_600_000;

/** The minutes a range touches: its start floored and its end ceiled to whole minutes (UTC). */
export function minuteRange(range: TimeRange): TimeRange {
  return {
    start: new Date(Math.floor(range.start.getTime() / msPerMinute) * msPerMinute),
    end: new Date(Math.ceil(range.end.getTime() / msPerMinute) * msPerMinute),
  };
}

/** Which rollup rows to read: the hour rows in `hours` and the minute rows in `minutes`, each a list of disjoint ranges. */
export interface RollupPieces {
  hours: TimeRange[];
  minutes: TimeRange[];
}

/**
 * The pieces of minute-aligned `buckets` (disjoint, ascending): per bucket,
 * its whole hours from hour rows and the minutes around them from minute
 * rows, so every piece lies inside one bucket. Adjacent pieces are joined.
 */
export function rollupPieces(buckets: readonly TimeRange[]): RollupPieces {
  const pieces: RollupPieces = { hours: [], minutes: [] };
  for (const { start, end } of buckets) {
    const s = start.getTime();
    const e = end.getTime();
    const firstHour = Math.ceil(s / msPerHour) * msPerHour;
    const lastHour = Math.floor(e / msPerHour) * msPerHour;
    if (firstHour < lastHour) {
      append(pieces.minutes, s, firstHour);
      append(pieces.hours, firstHour, lastHour);
      append(pieces.minutes, lastHour, e);
    } else {
      append(pieces.minutes, s, e);
    }
  }
  return pieces;
}

function append(ranges: TimeRange[], start: number, end: number): void {
  if (start >= end) return;
  const last = ranges.at(-1);
  if (last !== undefined && last.end.getTime() === start) last.end = new Date(end);
  else ranges.push({ start: new Date(start), end: new Date(end) });
}

/** `range` (minute-aligned) cut into steps of `stepMs` (whole minutes) from its start; the last may be shorter. */
export function stepBuckets(range: TimeRange, stepMs: number): TimeRange[] {
  const buckets: TimeRange[] = [];
  const end = range.end.getTime();
  for (let s = range.start.getTime(); s < end; s += stepMs) buckets.push({ start: new Date(s), end: new Date(Math.min(s + stepMs, end)) });
  return buckets;
}
