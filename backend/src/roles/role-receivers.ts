import { createCollector } from '@justanalytics/collector';
import type { AnalyticsHttpOptions } from '@justanalytics/collector';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { ApiKeyResolver } from '../store/api-keys.ts';
import { PostgresSink } from '../store/postgres-sink.ts';
import { startAnalyticsParts } from './role-analytics.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

export interface ReceiverPorts {
  otlpHttpPort: number;
  otlpGrpcPort: number;
}

export interface RunningReceivers {
  ports: ReceiverPorts;
  /** What the analytics routes write through, for the API port to serve them too (plain `serve`). */
  analytics: AnalyticsHttpOptions;
}

/**
 * The ingest path: the store (which makes the partitions it needs on demand)
 * and the OTLP/HTTP and OTLP/gRPC receivers writing to it. The OTLP/HTTP port
 * also answers /healthz and /readyz, ready while the ingest pool's database
 * answers. Stopped receivers first, then the store commits what they took.
 */
export async function startReceivers(config: Config, logger: Logger, database: DatabaseHandle, keys: ApiKeyResolver, steps: ShutdownSteps): Promise<RunningReceivers> {
  const retention = { retentionDays: config.retentionDays, signalRetentionDays: config.signalRetentionDays };
  const sink = new PostgresSink(database.pool, { logger, ...retention, maxQueuedRows: config.maxQueuedRows });
  steps.add(() => sink.close());
  const analytics = await startAnalyticsParts(config, logger, database, steps);
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
    analytics,
    // The pool the sink writes through, as the API's /readyz checks it.
    readiness: async () => {
      await sql`select 1`.execute(database.db);
    },
  });
  steps.add(() => collector.shutdown());
  const { httpPort, grpcPort } = await collector.start();
  return {
    ports: { otlpHttpPort: httpPort, otlpGrpcPort: grpcPort },
    // The API port's analytics routes get a budget of their own, a quarter of the receivers'.
    analytics: { sink, keys, ...analytics, maxInFlightBytes: Math.max(1, Math.floor(config.maxInFlightBytes / 4)) },
  };
}
