import type { SpanRow } from '@justanalytics/collector';
import { dayOfNanos } from '../../db/days.ts';
import { admitByDay } from '../admit-by-day.ts';
import type { Admission, DayWindow } from '../signal-writer.ts';

/**
 * Splits a batch into the spans that can be stored and the ones that started
 * outside the window of kept days. That is all the store checks: decoding
 * already refused times of 2^63 and over and kinds or status codes a smallint
 * cannot hold, and every other number of a SpanRow is bounded by its protobuf
 * type.
 */
export function admitSpans(rows: readonly SpanRow[], window: DayWindow): Admission<SpanRow> {
  return admitByDay(rows, window, { noun: ['span', 'spans'], dated: 'started', dayOf: (row) => dayOfNanos(row.startTimeUnixNano) });
}
