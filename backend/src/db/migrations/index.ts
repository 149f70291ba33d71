import type { Migration } from 'kysely/migration';
import * as traces from './2026-11-23T18-00-00-traces.ts';
import * as logs from './2026-11-29T21-00-00-logs.ts';
import * as metrics from './2026-11-30T00-00-00-metrics.ts';
import * as redRollups from './2026-11-30T00-10-00-red-rollups.ts';
import * as serviceEdges from './2026-11-30T00-20-00-service-edges.ts';
import * as analytics from './2026-11-30T01-00-00-analytics.ts';
import * as traceAttributeHashes from './2026-11-30T02-00-00-trace-attribute-hashes.ts';
import * as dropSpansServiceIndex from './2026-11-30T03-00-00-drop-spans-service-index.ts';

/** Every migration, by name. Landed migrations are never edited: add a new one. */
export const migrations: Record<string, Migration> = {
  '2026-11-23T18-00-00-traces': traces,
  '2026-11-29T21-00-00-logs': logs,
  '2026-11-30T00-00-00-metrics': metrics,
  '2026-11-30T00-10-00-red-rollups': redRollups,
  '2026-11-30T00-20-00-service-edges': serviceEdges,
  '2026-11-30T01-00-00-analytics': analytics,
  '2026-11-30T02-00-00-trace-attribute-hashes': traceAttributeHashes,
  '2026-11-30T03-00-00-drop-spans-service-index': dropSpansServiceIndex,
};
