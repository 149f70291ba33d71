import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { startAnalyticsRollups } from '../jobs/analytics-rollups.ts';
import { startPartitionUpkeep } from '../jobs/partition-upkeep.ts';
import { startSaltRotation } from '../jobs/salt-rotation.ts';
import { startServiceEdgeRollup } from '../jobs/service-edges.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

/**
 * The periodic jobs, on the ingest pool. Each guards itself with an advisory
 * lock, so any number of `serve` processes may run them at once. Resolves
 * once partition upkeep has run once (partitions around today exist).
 */
export async function startJobs(config: Config, logger: Logger, database: DatabaseHandle, steps: ShutdownSteps): Promise<void> {
  const upkeep = startPartitionUpkeep({
    db: database.db,
    logger,
    retentionDays: config.retentionDays,
    signalRetentionDays: config.signalRetentionDays,
    analyticsRollupRetentionDays: config.analyticsRollupRetentionDays,
  });
  steps.add(() => upkeep.stop());
  await upkeep.ready;
  // The service map's edge rollup; not awaited: until it has run, the map joins spans live.
  const edgeRollup = startServiceEdgeRollup({ db: database.db, logger });
  steps.add(() => edgeRollup.stop());
  // Today's visitor salt made ahead of the first event, and salts deleted 48 hours after their day began.
  const saltRotation = startSaltRotation({ db: database.db, logger });
  steps.add(() => saltRotation.stop());
  // Analytics rollups of the quarter hours ingest marked; queries compute unrolled quarters live meanwhile.
  const analyticsRollups = startAnalyticsRollups({ db: database.db, logger, intervalMs: config.analyticsRollupIntervalSeconds * 1000 });
  steps.add(() => analyticsRollups.stop());
}
