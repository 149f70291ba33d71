import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connect.ts';
import { ApiKeyResolver } from '../store/api-keys.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

/** Every live key in memory, loaded now and kept current through LISTEN on a connection of its own. */
export async function startKeyResolver(database: DatabaseHandle, logger: Logger, steps: ShutdownSteps): Promise<ApiKeyResolver> {
  const keys = new ApiKeyResolver(database.db, { connectionString: database.connectionString, logger });
  steps.add(() => keys.close());
  await keys.start();
  return keys;
}
