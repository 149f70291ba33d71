import type { ColumnType } from 'kysely';
import type { DropReason } from '@justanalytics/collector';

type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>;

/** Events dropped before storage, per site, UTC day and reason (store/drop-counts.ts adds to them). */
export interface AnalyticsDropsTable {
  site_id: string;
  /** The UTC day's start. */
  day: Date;
  reason: DropReason;
  count: Int8;
}
