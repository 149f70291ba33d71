import type { KeyValueJson, MetricPointRow } from '@justanalytics/collector';
import { metricSeriesColumns, type MetricSeriesInsert } from '../../db/tables/metric-series.ts';
import { unnestInsert, unnestParams } from '../../db/tables/columns.ts';
import { contentId } from '../content-id.ts';
import { DailyRowWriter, WrittenDailyRows } from '../daily-rows.ts';

/** One series of a flush: what its metric_series row holds. */
export type MetricSeries = MetricSeriesInsert['series'];

/** A metric_series row a flush needs: one series of one site on one UTC day. */
export interface MetricSeriesRow extends MetricSeriesInsert {
  /** Site, id and day: the table's primary key as text, for sorting and for WrittenDailyRows. */
  key: string;
}

/**
 * The id of a series: the first 16 bytes of the SHA-256 of a canonical
 * serialisation of its identity. Point attributes are sorted by key (OTLP
 * gives them no order), so a series is the same whatever order an SDK sends
 * its attributes in; strings are hashed as they are stored. The resource and
 * scope come in through their own content hash (resourceScopeId).
 */
export function metricSeriesId(
  identity: Pick<MetricPointRow, 'metricName' | 'type' | 'unit' | 'temporality' | 'monotonic' | 'attributes'>,
  resourceScopeId: Buffer,
): Buffer {
  return contentId([
    identity.metricName,
    identity.type,
    identity.unit,
    identity.temporality,
    identity.monotonic,
    resourceScopeId.toString('hex'),
    sortedAttributes(identity.attributes),
  ]);
}

function sortedAttributes(attributes: readonly KeyValueJson[]): KeyValueJson[] {
  return [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The series of one flush, looked up by a cheap text key (the attributes as
 * JSON.stringify writes them) so the canonical hash is made once per series
 * and flush, not once per point.
 */
export class MetricSeriesIds {
  // By resource_scopes id object (ResourceScopeIds gives one per pair and flush), then by a text key.
  readonly #byResourceScope = new Map<Buffer, Map<string, MetricSeries>>();

  of(point: MetricPointRow, resourceScopeId: Buffer): MetricSeries {
    let byKey = this.#byResourceScope.get(resourceScopeId);
    if (byKey === undefined) {
      byKey = new Map();
      this.#byResourceScope.set(resourceScopeId, byKey);
    }
    const key = `${point.metricName}\u0001${point.type}\u0001${point.unit}\u0001${point.temporality}\u0001${point.monotonic}\u0001${JSON.stringify(point.attributes)}`;
    let series = byKey.get(key);
    if (series === undefined) {
      series = {
        id: metricSeriesId(point, resourceScopeId),
        metricName: point.metricName,
        type: point.type,
        unit: point.unit,
        temporality: point.temporality,
        monotonic: point.monotonic,
        description: point.description,
        serviceName: point.serviceName,
        resourceScopeId,
        attributes: point.attributes,
      };
      byKey.set(key, series);
    }
    return series;
  }
}

/** Collects the distinct (site, series, day) rows of a flush: a map lookup per point, no string built per point. */
export class MetricSeriesRows {
  readonly #days = new Map<string, Map<MetricSeries, Set<number>>>();

  add(siteId: string, series: MetricSeries, day: number): void {
    let bySeries = this.#days.get(siteId);
    if (bySeries === undefined) {
      bySeries = new Map();
      this.#days.set(siteId, bySeries);
    }
    let days = bySeries.get(series);
    if (days === undefined) {
      days = new Set();
      bySeries.set(series, days);
    }
    days.add(day);
  }

  /** Sorted by key, so that concurrent upserts lock rows in the same order. */
  rows(): MetricSeriesRow[] {
    const byKey = new Map<string, MetricSeriesRow>();
    for (const [siteId, bySeries] of this.#days) {
      for (const [series, days] of bySeries) {
        const hex = series.id.toString('hex');
        for (const day of days) {
          const key = `${siteId}/${hex}/${day}`;
          if (!byKey.has(key)) byKey.set(key, { siteId, day, series, key });
        }
      }
    }
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

// Every day's row of an id holds the same identity, so a row already there is left alone.
const upsertSql = `${unnestInsert('metric_series', metricSeriesColumns)}
ON CONFLICT (site_id, id, day) DO NOTHING`;

/** The metric_series side of the metrics writer (see DailyRowWriter): a flush's series rows not committed before. */
export class MetricSeriesWriter extends DailyRowWriter<MetricSeriesRow> {
  constructor(maxKeys = 200_000) {
    super('metric_series', (rows) => ({ text: upsertSql, values: unnestParams(metricSeriesColumns, rows) }), new WrittenDailyRows(maxKeys));
  }
}
