import { defaultGeoDatabasePath, openGeoLookup } from '@justanalytics/collector';
import type { CollectorAnalyticsOptions } from '@justanalytics/collector';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { DropCounts } from '../store/drop-counts.ts';
import { SiteDirectory } from '../store/site-directory.ts';
import { VisitorSalts } from '../store/visitor-salts.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';

/**
 * What the analytics routes need besides the sink and keys: the sites (in
 * memory, kept current by NOTIFY), the day's salts, the offline IP database
 * (a city database named by JUSTANALYTICS_GEOIP_DB first, the shipped DB-IP
 * country database behind it) and the drop counts. On the ingest pool.
 */
export async function startAnalyticsParts(config: Config, logger: Logger, database: DatabaseHandle, steps: ShutdownSteps): Promise<CollectorAnalyticsOptions> {
  const sites = new SiteDirectory(database.db, { connectionString: database.connectionString, logger });
  steps.add(() => sites.close());
  await sites.start();
  const drops = new DropCounts(database.db, { logger });
  steps.add(() => drops.stop());
  drops.start();
  const geo = await openGeoLookup([...(config.geoIpDatabase === null ? [] : [config.geoIpDatabase]), defaultGeoDatabasePath()]);
  return { sites, salts: new VisitorSalts(database.db), geo, drops };
}
