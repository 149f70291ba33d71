import type { MetricPointRow } from '@justanalytics/collector';
import type pg from 'pg';
import { dayOfNanos } from '../../db/days.ts';
import type { PartitionedTable } from '../../db/partitions.ts';
import { copyChunks } from '../../db/tables/columns.ts';
import { copyMetricPointsSql, metricPointColumns, type MetricPointCopyRow } from '../../db/tables/metric-points.ts';
import { admitByDay } from '../admit-by-day.ts';
import { copyInto } from '../copy-into.ts';
import { ResourceScopeIds, resourceScopeRows, ResourceScopeWriter } from '../resource-scopes.ts';
import type { Admission, AfterCommit, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';
import { MetricSeriesIds, MetricSeriesRows, MetricSeriesWriter } from './metric-series.ts';

/**
 * The metrics signal's writer: per flush one COPY into metric_points, then
 * one insert of the series (metric_series) and of the (resource, scope) pairs
 * (resource_scopes, shared with spans and logs) not written before.
 */
export class MetricWriter implements SignalWriter<MetricPointRow> {
  readonly tables: readonly PartitionedTable[] = ['metric_points', 'metric_series', 'resource_scopes'];
  readonly #resourceScopes: ResourceScopeWriter;
  readonly #series = new MetricSeriesWriter();

  constructor(resourceScopes = new ResourceScopeWriter()) {
    this.#resourceScopes = resourceScopes;
  }

  admit(rows: readonly MetricPointRow[], window: DayWindow): Admission<MetricPointRow> {
    return admitMetricPoints(rows, window);
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<MetricPointRow>[]): Promise<AfterCommit> {
    const ids = new ResourceScopeIds();
    const resourceScopes = resourceScopeRows(writes, ids);
    const { copyRows, series } = metricPointCopyRows(writes, ids);
    await copyInto(client, copyMetricPointsSql, copyChunks(metricPointColumns, copyRows));
    const seriesWritten = await this.#series.write(client, series.rows());
    const scopesWritten = await this.#resourceScopes.write(client, resourceScopes);
    return () => {
      seriesWritten();
      scopesWritten();
    };
  }

  partitionsChanged(table?: PartitionedTable): void {
    this.#series.partitionsChanged(table);
    this.#resourceScopes.partitionsChanged(table);
  }
}

const INT64_MAX = 2n ** 63n - 1n;

function fitsInt8(value: bigint | null): boolean {
  return value === null || value <= INT64_MAX;
}

function countsFit(counts: readonly bigint[] | null | undefined): boolean {
  if (counts === null || counts === undefined) return true;
  for (const count of counts) if (count > INT64_MAX) return false;
  return true;
}

/** False when a uint64 of the point (a count, a time) is beyond what a bigint column holds. */
function storable(row: MetricPointRow): boolean {
  const exponential = row.exponential;
  return (
    fitsInt8(row.timeUnixNano) &&
    fitsInt8(row.startTimeUnixNano) &&
    fitsInt8(row.count) &&
    countsFit(row.bucketCounts) &&
    (exponential === null ||
      (fitsInt8(exponential.zeroCount) && countsFit(exponential.positive.bucketCounts) && countsFit(exponential.negative.bucketCounts)))
  );
}

/**
 * Splits a batch into the points that can be stored and those dated outside
 * the window of kept days (by the UTC day of their time), or holding a count
 * or time of 2^63 or more (OTLP's uint64; the columns are bigint).
 */
export function admitMetricPoints(rows: readonly MetricPointRow[], window: DayWindow): Admission<MetricPointRow> {
  return admitByDay(rows, window, {
    noun: ['metric data point', 'metric data points'],
    dated: 'dated',
    dayOf: (row) => dayOfNanos(row.timeUnixNano),
    rules: [{ refuses: (row) => !storable(row), reason: 'with a count or time of 2^63 or more' }],
  });
}

/** Each point with its series' id, and the distinct series rows of the flush. */
export function metricPointCopyRows(writes: readonly SiteRows<MetricPointRow>[], ids: ResourceScopeIds): { copyRows: MetricPointCopyRow[]; series: MetricSeriesRows } {
  const seriesIds = new MetricSeriesIds();
  const series = new MetricSeriesRows();
  const copyRows: MetricPointCopyRow[] = [];
  for (const { siteId, rows } of writes) {
    for (const { row, day } of rows) {
      const one = seriesIds.of(row, ids.of(row).id);
      series.add(siteId, one, day);
      copyRows.push({ siteId, point: row, seriesId: one.id });
    }
  }
  return { copyRows, series };
}

