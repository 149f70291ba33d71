import { int64ToBigInt } from '@justanalytics/proto';
import type { IExemplar, IExportMetricsServiceRequest, IKeyValue, IMetric, Int64 } from '@justanalytics/proto';
import type { MetricPointRow, MetricType } from './metric-point-row.ts';
import { AttributeConverter } from '../../decode/any-value.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { serviceNameOf } from '../../decode/promoted-attributes.ts';
import { Rejections } from '../../decode/rejections.ts';
import { resourceToJson, scopeToJson } from '../../decode/resource-scope.ts';
import type { ResourceScopeColumns } from '../../decode/resource-scope.ts';
import { sanitizeString } from '../../decode/sanitize-string.ts';
import { exemplarsToJson } from './exemplars.ts';
import { MISSING_DATA, MISSING_NAME, pointTimeProblem, temporalityProblem, tooManyAttributes } from './metric-checks.ts';
import { exponentialValues, histogramValues, numberValues, summaryValues } from './metric-point-values.ts';
import type { PointValues } from './metric-point-values.ts';

/** What every point of one metric shares: its series' identity beyond the point's own attributes. */
type MetricColumns = ResourceScopeColumns & Pick<MetricPointRow, 'metricName' | 'description' | 'unit' | 'type' | 'temporality' | 'monotonic'>;

/** The fields every data point type has (summaries have no exemplars). */
interface AnyPoint {
  attributes: IKeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  flags: number;
  exemplars?: IExemplar[];
}

/**
 * Turns a decoded ExportMetricsServiceRequest (from protobuf or OTLP/JSON
 * alike) into one row per data point, for one site. A point that cannot be
 * stored is counted and left out with its reason; it never fails the others.
 * A metric that cannot be stored at all (no name, no data, an unknown
 * temporality) is refused with all its points, and counts one when it has
 * none, so that partial_success still tells the sender. A value past the
 * limits in a point's attributes or exemplars refuses the point; in its
 * resource or scope, every point under it.
 */
export function metricRequestToRows(request: IExportMetricsServiceRequest, siteId: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedRows<MetricPointRow> {
  const rows: MetricPointRow[] = [];
  const rejections = new Rejections();
  const converter = new AttributeConverter(limits);

  for (const resourceMetrics of request.resourceMetrics) {
    const resource = resourceToJson(resourceMetrics.resource, converter);
    if (resource === null) {
      let points = 0;
      for (const scopeMetrics of resourceMetrics.scopeMetrics) points += pointsInScope(scopeMetrics.metrics);
      rejections.add(`resource ${converter.problem}`, points);
      continue;
    }
    const serviceName = serviceNameOf(resource.attributes);
    const resourceSchemaUrl = sanitizeString(resourceMetrics.schemaUrl);

    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      const scope = scopeToJson(scopeMetrics.scope, converter);
      if (scope === null) {
        rejections.add(`scope ${converter.problem}`, pointsInScope(scopeMetrics.metrics));
        continue;
      }
      const shared: ResourceScopeColumns = { siteId, serviceName, resource, resourceSchemaUrl, scope, scopeSchemaUrl: sanitizeString(scopeMetrics.schemaUrl) };
      for (const metric of scopeMetrics.metrics) metricToRows(metric, shared, converter, limits, rows, rejections);
    }
  }
  return { rows, rejected: rejections.count, message: rejections.message('data point', 'data points') };
}

function metricToRows(
  metric: IMetric,
  shared: ResourceScopeColumns,
  converter: AttributeConverter,
  limits: DecodeLimits,
  rows: MetricPointRow[],
  rejections: Rejections,
): void {
  const refuse = (reason: string) => rejections.add(reason, Math.max(1, pointsOf(metric)));
  if (metric.name === '') return refuse(MISSING_NAME);
  const columns = (type: MetricType, temporality: number, monotonic: boolean): MetricColumns => ({
    ...shared,
    metricName: sanitizeString(metric.name),
    description: sanitizeString(metric.description),
    unit: sanitizeString(metric.unit),
    type,
    temporality,
    monotonic,
  });
  const add = <Point extends AnyPoint>(points: readonly Point[], of: MetricColumns, values: (point: Point) => PointValues | string) => {
    for (const point of points) {
      const row = pointToRow(point, of, values, converter, limits);
      if (typeof row === 'string') rejections.add(row);
      else rows.push(row);
    }
  };
  switch (metric.data) {
    case 'gauge':
      return add(metric.gauge?.dataPoints ?? [], columns('gauge', 0, false), numberValues);
    case 'sum': {
      const sum = metric.sum;
      if (sum == null) return refuse(MISSING_DATA);
      const problem = temporalityProblem(sum.aggregationTemporality);
      if (problem !== null) return refuse(problem);
      return add(sum.dataPoints, columns('sum', sum.aggregationTemporality, sum.isMonotonic), numberValues);
    }
    case 'histogram': {
      const histogram = metric.histogram;
      if (histogram == null) return refuse(MISSING_DATA);
      const problem = temporalityProblem(histogram.aggregationTemporality);
      if (problem !== null) return refuse(problem);
      return add(histogram.dataPoints, columns('histogram', histogram.aggregationTemporality, false), histogramValues);
    }
    case 'exponentialHistogram': {
      const histogram = metric.exponentialHistogram;
      if (histogram == null) return refuse(MISSING_DATA);
      const problem = temporalityProblem(histogram.aggregationTemporality);
      if (problem !== null) return refuse(problem);
      return add(histogram.dataPoints, columns('exponential_histogram', histogram.aggregationTemporality, false), exponentialValues);
    }
    case 'summary':
      return add(metric.summary?.dataPoints ?? [], columns('summary', 0, false), summaryValues);
    default:
      return refuse(MISSING_DATA);
  }
}

/** The point's row, or the reason it cannot be made. */
function pointToRow<Point extends AnyPoint>(
  point: Point,
  columns: MetricColumns,
  values: (point: Point) => PointValues | string,
  converter: AttributeConverter,
  limits: DecodeLimits,
): MetricPointRow | string {
  const startTimeUnixNano = int64ToBigInt(point.startTimeUnixNano);
  const timeUnixNano = int64ToBigInt(point.timeUnixNano);
  const timeProblem = pointTimeProblem(startTimeUnixNano, timeUnixNano);
  if (timeProblem !== null) return timeProblem;
  const limited = converter.attributes(point.attributes);
  if (limited === null) return converter.problem;
  if (limited.dropped > 0) return tooManyAttributes(limits.maxAttributes);
  const pointValues = values(point);
  if (typeof pointValues === 'string') return pointValues;
  const exemplars = point.exemplars === undefined ? [] : exemplarsToJson(point.exemplars, converter);
  if (typeof exemplars === 'string') return exemplars;
  return {
    siteId: columns.siteId,
    metricName: columns.metricName,
    description: columns.description,
    unit: columns.unit,
    type: columns.type,
    temporality: columns.temporality,
    monotonic: columns.monotonic,
    attributes: limited.attributes,
    startTimeUnixNano,
    timeUnixNano,
    flags: point.flags,
    ...pointValues,
    exemplars,
    serviceName: columns.serviceName,
    resource: columns.resource,
    resourceSchemaUrl: columns.resourceSchemaUrl,
    scope: columns.scope,
    scopeSchemaUrl: columns.scopeSchemaUrl,
  };
}

/** The data points a metric holds, whatever its type. */
function pointsOf(metric: IMetric): number {
  switch (metric.data) {
    case 'gauge':
      return metric.gauge?.dataPoints.length ?? 0;
    case 'sum':
      return metric.sum?.dataPoints.length ?? 0;
    case 'histogram':
      return metric.histogram?.dataPoints.length ?? 0;
    case 'exponentialHistogram':
      return metric.exponentialHistogram?.dataPoints.length ?? 0;
    case 'summary':
      return metric.summary?.dataPoints.length ?? 0;
    default:
      return 0;
  }
}

function pointsInScope(metrics: readonly IMetric[]): number {
  let count = 0;
  for (const metric of metrics) count += pointsOf(metric);
  return count;
}
