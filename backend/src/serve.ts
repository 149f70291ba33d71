import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openRoleDatabase } from './roles/role-database.ts';
import { startJobs } from './roles/role-jobs.ts';
import { startKeyResolver } from './roles/role-keys.ts';
import { startReceivers, type RunningReceivers } from './roles/role-receivers.ts';
import { startQueryApi } from './roles/role-api.ts';
import { ShutdownSteps } from './roles/shutdown-steps.ts';
import type { DefaultSite } from './store/default-site.ts';

export interface RunningServer {
  /** The receivers' ports; null under `--no-ingest` (config.ingest false), which opens none. */
  otlpHttpPort: number | null;
  otlpGrpcPort: number | null;
  apiPort: number;
  /** Set when this start created the default site and its first key. */
  createdDefaultSite: DefaultSite | null;
  /** Stops accepting, commits everything acknowledged or in flight, closes the database. Safe twice. */
  shutdown(): Promise<void>;
}

/**
 * `serve`: database, schema, jobs, the API and, unless config.ingest is false
 * (`serve --no-ingest`, beside `collect` processes), the store and receivers.
 * If any part fails to start, the parts already started are shut down.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const steps = new ShutdownSteps(logger);
  try {
    const { database, createdDefaultSite } = await openRoleDatabase(config, logger, steps);
    await startJobs(config, logger, database, steps);
    const keys = await startKeyResolver(database, logger, steps);
    const ingest: RunningReceivers | null = config.ingest ? await startReceivers(config, logger, database, keys, steps) : null;
    // Beside ingest, the API port serves the analytics routes too, so a script served from it can post to its own origin.
    const apiPort = await startQueryApi(config, logger, database, keys, steps, ingest?.analytics ?? null);
    const receivers = ingest?.ports ?? null;

    // bench/ and tests read the ports from this line.
    logger.info(
      { role: config.ingest ? 'serve' : 'serve --no-ingest', ...receivers, apiPort, embeddedDatabase: database.embedded },
      'justanalytics is serving',
    );
    let stopping: Promise<void> | null = null;
    return {
      otlpHttpPort: receivers?.otlpHttpPort ?? null,
      otlpGrpcPort: receivers?.otlpGrpcPort ?? null,
      apiPort,
      createdDefaultSite,
      shutdown: () => (stopping ??= steps.run().then(() => logger.info('justanalytics stopped'))),
    };
  } catch (error) {
    await steps.run();
    throw error;
  }
}
