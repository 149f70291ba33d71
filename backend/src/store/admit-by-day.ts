import { isoDay } from '../db/days.ts';
import type { Admission, AdmittedRow, DayWindow } from './signal-writer.ts';

/** A reason a signal's store refuses a row that decoding let through. */
export interface RefusalRule<Row> {
  refuses(row: Row): boolean;
  /** Completes "rejected N <rows> …", e.g. "with a count or time of 2^63 or more". */
  reason: string;
}

export interface DayAdmission<Row> {
  /** How the partial_success message names one row and several: ['span', 'spans']. */
  noun: readonly [one: string, many: string];
  /** The UTC day (days since the epoch) whose partition the row goes to. */
  dayOf(row: Row): number;
  /** What the row's day is of, for the message: "started", "dated". */
  dated: string;
  rules?: readonly RefusalRule<Row>[];
}

/**
 * Splits a batch into the rows that can be stored, with their partition day,
 * and those refused: by a rule of the signal, or dated outside the window of
 * kept days (a row dated 1970 or 2100 has no partition). Refused rows are
 * reported through partial_success, never allowed to fail the batch.
 */
export function admitByDay<Row>(rows: readonly Row[], window: DayWindow, how: DayAdmission<Row>): Admission<Row> {
  const rules = how.rules ?? [];
  const refused = rules.map(() => 0);
  const accepted: AdmittedRow<Row>[] = [];
  let outsideWindow = 0;
  rows: for (const row of rows) {
    for (const [i, rule] of rules.entries()) {
      if (rule.refuses(row)) {
        refused[i]!++;
        continue rows;
      }
    }
    const day = how.dayOf(row);
    if (day < window.firstDay || day > window.lastDay) {
      outsideWindow++;
      continue;
    }
    accepted.push({ row, day });
  }
  const count = (n: number): string => (n === 1 ? `1 ${how.noun[0]}` : `${n} ${how.noun[1]}`);
  const reasons: string[] = [];
  if (outsideWindow > 0) {
    reasons.push(`rejected ${count(outsideWindow)} ${how.dated} outside the stored days ${isoDay(window.firstDay)} to ${isoDay(window.lastDay)} (UTC)`);
  }
  for (const [i, rule] of rules.entries()) if (refused[i]! > 0) reasons.push(`rejected ${count(refused[i]!)} ${rule.reason}`);
  return { accepted, rejected: outsideWindow + refused.reduce((a, b) => a + b, 0), message: reasons.join('; ') };
}
