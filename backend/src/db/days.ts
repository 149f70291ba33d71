// Partitions, retention and the store's time window all count in UTC days
// since the epoch; this is the one place that knows how long a day is.

export const msPerDay = 86_400_000;
export const nanosPerDay = 86_400_000_000_000n;

/** The UTC day (days since 1970-01-01) of a time in milliseconds since the epoch. */
export function dayOfMs(ms: number): number {
  return Math.floor(ms / msPerDay);
}

/** The UTC day of a time in nanoseconds since the epoch (not before 1970: OTLP times are unsigned). */
export function dayOfNanos(nanos: bigint): number {
  return Number(nanos / nanosPerDay);
}

/** Midnight UTC starting the day. */
export function dayStart(day: number): Date {
  return new Date(day * msPerDay);
}

/** The day as YYYY-MM-DD. */
export function isoDay(day: number): string {
  return dayStart(day).toISOString().slice(0, 10);
}
