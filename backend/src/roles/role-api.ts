import type { AnalyticsHttpOptions } from '@justanalytics/collector';
import type { Logger } from 'pino';
import { buildApiServer } from '../api/server.ts';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { ApiKeyResolver } from '../store/api-keys.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

/** The query API and dashboard on their own pool; /readyz checks the ingest pool, so busy queries do not make it unready. Resolves with its port. */
export async function startQueryApi(
  config: Config,
  logger: Logger,
  database: DatabaseHandle,
  keys: ApiKeyResolver,
  steps: ShutdownSteps,
  analytics: AnalyticsHttpOptions | null = null,
): Promise<number> {
  const api = await buildApiServer({
    db: database.api.db,
    // The admin routes' few configuration writes (sites, goals, saved funnels): the API pool is read-only.
    writeDb: database.db,
    readinessDb: database.db,
    limits: { maxTraceSpans: config.apiMaxTraceSpans, maxTraceLogs: config.apiMaxTraceLogs, maxSpanSearchHours: config.apiMaxSpanSearchHours },
    keys,
    logger,
    trustedProxies: config.trustedProxies,
    analytics,
  });
  steps.add(() => api.close());
  await api.listen({ host: config.host, port: config.apiPort });
  const address = api.server.address();
  return typeof address === 'object' && address ? address.port : config.apiPort;
}
