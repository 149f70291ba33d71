import type { ILogRecord } from '@justanalytics/proto';
import { isAllZero } from '../../decode/id-bytes.ts';

// Reasons as partial_success names them: what was wrong and what is required.
export const INVALID_TRACE_ID = 'invalid trace_id (empty or 16 bytes required)';
export const INVALID_SPAN_ID = 'invalid span_id (empty or 8 bytes required)';
export const INVALID_TIME = 'invalid time_unix_nano (below 2^63 required)';
export const INVALID_OBSERVED_TIME = 'invalid observed_time_unix_nano (below 2^63 required)';

/** Nanosecond times are stored as PostgreSQL bigint, which is signed. */
const MAX_TIME = 2n ** 63n;

/**
 * Why a log record's IDs cannot be stored, or null when they can. Unlike a
 * span's, a record's IDs are optional: empty or all zeros means none.
 */
export function logIdProblem(record: ILogRecord): string | null {
  const { traceId, spanId } = record;
  if (traceId.length !== 0 && traceId.length !== 16) return INVALID_TRACE_ID;
  if (spanId.length !== 0 && spanId.length !== 8) return INVALID_SPAN_ID;
  return null;
}

export function logTimeProblem(time: bigint, observedTime: bigint): string | null {
  if (time >= MAX_TIME) return INVALID_TIME;
  if (observedTime >= MAX_TIME) return INVALID_OBSERVED_TIME;
  return null;
}

/** True when an optional ID names nothing: empty or all zeros (the W3C invalid ID). */
export function isAbsentId(id: ILogRecord['traceId']): boolean {
  return id.length === 0 || isAllZero(id);
}
