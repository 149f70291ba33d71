// The rollups that ingest keeps, built for the query benchmark's seeded spans
// (seeded by SQL, so the span writer never saw them): RED minutes and hours by
// their backfill, and the service map's edge minutes by one run of its job
// over every seeded minute.
import type { Kysely } from 'kysely';
import type { Database } from '../backend/src/db/database.ts';
import { runServiceEdgeRollup } from '../backend/src/jobs/service-edges.ts';
import { backfillRedRollups } from '../backend/src/store/traces/red-backfill.ts';
import type { SeedPlan } from './query-seed.ts';

export async function buildRollups(db: Kysely<Database>, plan: SeedPlan): Promise<void> {
  const range = { start: new Date(plan.firstDayMs), end: new Date(plan.endMs + 60_000) };
  await backfillRedRollups(db, range, plan.siteId);
  const minutes = Math.ceil((plan.endMs - plan.firstDayMs) / 60_000) + 2;
  await runServiceEdgeRollup({ db, lagMs: 0, recomputeMinutes: minutes, maxCatchUpMinutes: minutes, now: () => plan.endMs + 60_000 });
}
