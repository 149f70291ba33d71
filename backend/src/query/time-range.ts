/** A half-open interval [start, end) of span or trace start times. */
export interface TimeRange {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

/** Midnight UTC of the day holding `time`: the partition bound of that day. */
export function utcDay(time: Date): Date {
  return new Date(Math.floor(time.getTime() / DAY_MS) * DAY_MS);
}

export function addDays(time: Date, days: number): Date {
  return new Date(time.getTime() + days * DAY_MS);
}
