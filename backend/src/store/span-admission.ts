import type { SpanRow } from '@justanalytics/collector';

/** A span the store will write, with the UTC day (days since the epoch) of its start: its partition. */
export interface AdmittedSpan {
  row: SpanRow;
  day: number;
}

/** Admitted spans of one site, as one write handed them over. */
export interface SiteSpans {
  siteId: string;
  spans: readonly AdmittedSpan[];
}

export interface Admission {
  accepted: AdmittedSpan[];
  rejected: number;
  /** Why spans were rejected, for OTLP partial_success; empty when none were. */
  message: string;
}

/** The UTC days whose partitions may receive rows: retention behind, a little ahead. */
export interface DayWindow {
  firstDay: number;
  lastDay: number;
}

const nanosPerDay = 86_400_000_000_000n;
const maxInt8 = 9223372036854775807n;
const dayMs = 86_400_000;

/**
 * Splits a batch into the spans that can be stored and the ones that cannot:
 * started outside the window of kept days (a span dated 1970 or 2100), or
 * carrying numbers the columns cannot hold. Rejected spans are reported, never
 * allowed to fail the rest of the batch.
 */
export function admitSpans(rows: readonly SpanRow[], window: DayWindow): Admission {
  const accepted: AdmittedSpan[] = [];
  let outsideWindow = 0;
  let invalid = 0;
  for (const row of rows) {
    if (!hasStorableNumbers(row)) {
      invalid++;
      continue;
    }
    const day = Number(row.startTimeUnixNano / nanosPerDay);
    if (day < window.firstDay || day > window.lastDay) {
      outsideWindow++;
      continue;
    }
    accepted.push({ row, day });
  }
  const reasons: string[] = [];
  if (outsideWindow > 0) {
    const first = new Date(window.firstDay * dayMs).toISOString().slice(0, 10);
    const last = new Date(window.lastDay * dayMs).toISOString().slice(0, 10);
    reasons.push(`${count(outsideWindow)} started outside the stored days ${first} to ${last} (UTC)`);
  }
  if (invalid > 0) reasons.push(`${count(invalid)} had out-of-range times or numbers`);
  return { accepted, rejected: outsideWindow + invalid, message: reasons.length === 0 ? '' : `rejected ${reasons.join('; ')}` };
}

function count(spans: number): string {
  return spans === 1 ? '1 span' : `${spans} spans`;
}

function hasStorableNumbers(row: SpanRow): boolean {
  return (
    isInt8(row.startTimeUnixNano) &&
    isInt8(row.endTimeUnixNano) &&
    isIntIn(row.kind, -32768, 32767) &&
    isIntIn(row.statusCode, -32768, 32767) &&
    (row.httpStatusCode === null || isIntIn(row.httpStatusCode, -2147483648, 2147483647)) &&
    Number.isSafeInteger(row.flags) &&
    Number.isSafeInteger(row.droppedAttributesCount) &&
    Number.isSafeInteger(row.droppedEventsCount) &&
    Number.isSafeInteger(row.droppedLinksCount)
  );
}

function isInt8(value: bigint): boolean {
  return typeof value === 'bigint' && value >= 0n && value <= maxInt8;
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
