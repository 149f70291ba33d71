import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openRoleDatabase } from './roles/role-database.ts';
import { startKeyResolver } from './roles/role-keys.ts';
import { startReceivers } from './roles/role-receivers.ts';
import { ShutdownSteps } from './roles/shutdown-steps.ts';
import type { DefaultSite } from './store/default-site.ts';

export interface RunningCollector {
  otlpHttpPort: number;
  otlpGrpcPort: number;
  /** Set when this start created the default site and its first keys. */
  createdDefaultSite: DefaultSite | null;
  /** Stops accepting, commits everything acknowledged or in flight, closes the database. Safe twice. */
  shutdown(): Promise<void>;
}

/**
 * `collect`: the receivers and the store only, stateless, as many as a load
 * balancer spreads exports over, all on one database. No API and no jobs
 * (a `serve` runs them); partitions are made by the store as it needs them.
 * It migrates an empty database itself, so the roles may start in any order.
 * If any part fails to start, the parts already started are shut down.
 */
export async function startCollect(config: Config, logger: Logger): Promise<RunningCollector> {
  const steps = new ShutdownSteps(logger);
  try {
    const { database, createdDefaultSite } = await openRoleDatabase(config, logger, steps);
    const keys = await startKeyResolver(database, logger, steps);
    const { otlpHttpPort, otlpGrpcPort } = (await startReceivers(config, logger, database, keys, steps)).ports;

    // bench/ and tests read the ports from this line.
    logger.info({ role: 'collect', otlpHttpPort, otlpGrpcPort, embeddedDatabase: database.embedded }, 'justanalytics is serving');
    let stopping: Promise<void> | null = null;
    return {
      otlpHttpPort,
      otlpGrpcPort,
      createdDefaultSite,
      shutdown: () => (stopping ??= steps.run().then(() => logger.info('justanalytics stopped'))),
    };
  } catch (error) {
    await steps.run();
    throw error;
  }
}
