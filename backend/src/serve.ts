import { createCollector } from '@justanalytics/collector';
import type { Logger } from 'pino';
import { buildApiServer } from './api/server.ts';
import type { Config } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { migrateToLatestOrThrow } from './db/migrate.ts';
import { startPartitionUpkeep } from './jobs/partition-upkeep.ts';
import { startServiceEdgeRollup } from './jobs/service-edges.ts';
import { ApiKeyResolver } from './store/api-keys.ts';
import { ensureDefaultSite, type DefaultSite } from './store/default-site.ts';
import { PostgresSink } from './store/postgres-sink.ts';

export interface RunningServer {
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiPort: number;
  /** Set when this start created the default site and its first key. */
  createdDefaultSite: DefaultSite | null;
  /** Stops accepting, commits everything acknowledged or in flight, closes the database. Safe twice. */
  shutdown(): Promise<void>;
}

/**
 * Starts the whole system: database, schema, jobs, store, collector and API.
 * If any part fails to start, the parts already started are shut down.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // Shutdown steps in the order they must run: receivers first, database last.
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0)) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'shutdown step failed');
      }
    }
  };

  try {
    // Two pools: ingest (the sink, partition DDL, key lookups) on database.db, the query API on database.api,
    // so that no query a client shapes can take the connections ingest needs.
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
      api: { poolSize: config.apiPoolSize, statementTimeoutMs: config.apiStatementTimeoutMs, workMem: config.apiWorkMem },
    });
    stops.unshift(() => database.close());
    await migrateToLatestOrThrow(database.db);
    const createdDefaultSite = await ensureDefaultSite(database.db);

    const retention = { retentionDays: config.retentionDays, signalRetentionDays: config.signalRetentionDays };
    const upkeep = startPartitionUpkeep({ db: database.db, logger, ...retention });
    stops.unshift(async () => upkeep.stop());
    await upkeep.ready;
    // The service map's edge rollup; not awaited: until it has run, the map joins spans live.
    const edgeRollup = startServiceEdgeRollup({ db: database.db, logger });
    stops.unshift(async () => edgeRollup.stop());

    const sink = new PostgresSink(database.pool, { logger, ...retention, maxQueuedRows: config.maxQueuedRows });
    stops.unshift(() => sink.close());
    // Every live key in memory, kept current through LISTEN on a connection of its own.
    const keys = new ApiKeyResolver(database.db, { connectionString: database.connectionString, logger });
    stops.unshift(() => keys.close());
    await keys.start();

    const collector = createCollector({
      sink,
      keys,
      logger,
      host: config.host,
      httpPort: config.otlpHttpPort,
      grpcPort: config.otlpGrpcPort,
      maxRequestBytes: config.maxRequestBytes,
      maxInFlightBytes: config.maxInFlightBytes,
      corsOrigins: config.corsOrigins,
      trustedProxies: config.trustedProxies,
      requestTimeoutMs: config.requestTimeoutMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      decodeLimits: config.decodeLimits,
    });
    stops.unshift(() => collector.shutdown());
    const { httpPort, grpcPort } = await collector.start();

    const api = await buildApiServer({
      db: database.api.db,
      readinessDb: database.db,
      limits: { maxTraceSpans: config.apiMaxTraceSpans, maxTraceLogs: config.apiMaxTraceLogs, maxSpanSearchHours: config.apiMaxSpanSearchHours },
      keys,
      logger,
      trustedProxies: config.trustedProxies,
    });
    stops.unshift(() => api.close());
    await api.listen({ host: config.host, port: config.apiPort });
    const address = api.server.address();
    const apiPort = typeof address === 'object' && address ? address.port : config.apiPort;

    logger.info({ otlpHttpPort: httpPort, otlpGrpcPort: grpcPort, apiPort, embeddedDatabase: database.embedded }, 'justanalytics is serving');
    let stopping: Promise<void> | null = null;
    return {
      otlpHttpPort: httpPort,
      otlpGrpcPort: grpcPort,
      apiPort,
      createdDefaultSite,
      shutdown: () => (stopping ??= stopAll().then(() => logger.info('justanalytics stopped'))),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
