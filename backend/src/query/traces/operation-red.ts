import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { minuteRange, rollupPieces } from './red-ranges.ts';
import { readRed, redStats, type RedStats } from './red-read.ts';

/** The RED figures of one span name of a service, for one span kind. */
export interface OperationRed extends RedStats {
  name: string;
  /** The OTLP SpanKind value; an operation seen with two kinds is listed twice. */
  spanKind: number;
}

/**
 * The operations (span name and kind) of one service with spans starting in
 * the minutes `range` touches, by name then kind, from the RED rollups.
 * Requests are the operation's server and consumer spans and its root spans
 * of any kind; a client operation lists its span counts and no requests.
 */
export async function operationRed(db: Kysely<Database>, siteId: string, service: string, range: TimeRange): Promise<OperationRed[]> {
  const minutes = minuteRange(range);
  const seconds = (minutes.end.getTime() - minutes.start.getTime()) / 1000;
  const groups = await readRed(db, siteId, rollupPieces([minutes]), { service }, { by: 'operation' });
  return groups
    .map((group) => ({ name: group.operation, spanKind: group.spanKind, ...redStats(group.totals, seconds) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind - b.spanKind));
}
