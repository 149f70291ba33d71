import { dayOfMs, dayStart, msPerDay } from '../db/days.ts';

/** A half-open interval [start, end) of span or trace start times. */
export interface TimeRange {
  start: Date;
  end: Date;
}

/** Midnight UTC of the day holding `time`: the partition bound of that day. */
export function utcDay(time: Date): Date {
  return dayStart(dayOfMs(time.getTime()));
}

export function addDays(time: Date, days: number): Date {
  return new Date(time.getTime() + days * msPerDay);
}
