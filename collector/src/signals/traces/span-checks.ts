import type { ISpan } from '@justanalytics/proto';
import { isAllZero } from '../../decode/id-bytes.ts';

// Reasons as partial_success names them: what was wrong and what is required.
export const INVALID_TRACE_ID = 'invalid trace_id (16 bytes, not all zero, required)';
export const INVALID_SPAN_ID = 'invalid span_id (8 bytes, not all zero, required)';
export const INVALID_PARENT_SPAN_ID = 'invalid parent_span_id (empty or 8 bytes required)';
export const INVALID_START_TIME = 'invalid start_time_unix_nano (below 2^63 required)';
export const INVALID_END_TIME = 'invalid end_time_unix_nano (below 2^63 required)';
export const INVALID_KIND = 'invalid kind (an integer from 0 to 32767 required)';
export const INVALID_STATUS_CODE = 'invalid status.code (an integer from 0 to 32767 required)';

/** Nanosecond times are stored as PostgreSQL bigint, which is signed. */
const MAX_TIME = 2n ** 63n;
/** kind and status code are stored as smallint. */
const MAX_ENUM = 32767;

/** Why a span's IDs cannot be stored, or null when they can. */
export function idProblem(span: ISpan): string | null {
  if (span.traceId.length !== 16 || isAllZero(span.traceId)) return INVALID_TRACE_ID;
  if (span.spanId.length !== 8 || isAllZero(span.spanId)) return INVALID_SPAN_ID;
  const parent = span.parentSpanId;
  if (parent.length !== 0 && parent.length !== 8) return INVALID_PARENT_SPAN_ID;
  return null;
}

/**
 * A parent span ID that names no span: empty, or all zeros (which some
 * exporters send for a root span instead of leaving the field out).
 */
export function isRootParent(parentSpanId: ISpan['parentSpanId']): boolean {
  return parentSpanId.length === 0 || isAllZero(parentSpanId);
}

export function timeProblem(start: bigint, end: bigint): string | null {
  if (start >= MAX_TIME) return INVALID_START_TIME;
  if (end >= MAX_TIME) return INVALID_END_TIME;
  return null;
}

export function enumProblem(kind: number, statusCode: number): string | null {
  if (!isStorableEnum(kind)) return INVALID_KIND;
  if (!isStorableEnum(statusCode)) return INVALID_STATUS_CODE;
  return null;
}

function isStorableEnum(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_ENUM;
}
