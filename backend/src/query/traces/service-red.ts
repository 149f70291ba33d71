import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { minuteRange, rollupPieces } from './red-ranges.ts';
import { readRed, redStats, type RedStats } from './red-read.ts';

export type { RedStats };

/** A service's RED figures over a range. */
export interface ServiceRed extends RedStats {
  name: string;
}

/**
 * Every service with spans starting in the minutes `range` touches, by name,
 * with its request rate, errors and latency, from the RED rollups (hour rows
 * for whole hours, minute rows at the edges; never spans). A service seen
 * only in client or internal spans is listed with its span counts and no
 * requests. Rates are per second of the minute-aligned range.
 */
export async function serviceRed(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<ServiceRed[]> {
  const minutes = minuteRange(range);
  const seconds = (minutes.end.getTime() - minutes.start.getTime()) / 1000;
  const groups = await readRed(db, siteId, rollupPieces([minutes]), {}, { by: 'service' });
  return groups
    .map((group) => ({ name: group.service, ...redStats(group.totals, seconds) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
