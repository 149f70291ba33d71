import type { SpanRow } from '@justanalytics/collector';
import { dayOfNanos, isoDay } from '../../db/days.ts';
import type { Admission, AdmittedRow, DayWindow } from '../signal-writer.ts';

/**
 * Splits a batch into the spans that can be stored and the ones that started
 * outside the window of kept days (a span dated 1970 or 2100), which have no
 * partition and are reported, never allowed to fail the rest of the batch.
 * That is all the store checks: decoding already refused times of 2^63 and
 * over and kinds or status codes a smallint cannot hold, and every other
 * number of a SpanRow is bounded by its protobuf type.
 */
export function admitSpans(rows: readonly SpanRow[], window: DayWindow): Admission<SpanRow> {
  const accepted: AdmittedRow<SpanRow>[] = [];
  let outsideWindow = 0;
  for (const row of rows) {
    const day = dayOfNanos(row.startTimeUnixNano);
    if (day < window.firstDay || day > window.lastDay) {
      outsideWindow++;
      continue;
    }
    accepted.push({ row, day });
  }
  if (outsideWindow === 0) return { accepted, rejected: 0, message: '' };
  const spans = outsideWindow === 1 ? '1 span' : `${outsideWindow} spans`;
  return {
    accepted,
    rejected: outsideWindow,
    message: `rejected ${spans} started outside the stored days ${isoDay(window.firstDay)} to ${isoDay(window.lastDay)} (UTC)`,
  };
}
