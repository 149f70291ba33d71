import type { Kysely } from 'kysely';
import type { ExemplarJson, MetricType } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { type TimeRange } from '../time-range.ts';
import { histogramIncrements, explicitMinus, exponentialMinus, type BucketsMinus, type CumulativePoint, type HistogramIncrement } from './histogram-increments.ts';
import {
  explicitQuantile,
  exponentialQuantile,
  mergeExplicit,
  mergeExponential,
  type ExplicitHistogram,
  type ExponentialHistogram,
} from './histogram-quantile.ts';
import { planAggregation, type Aggregation, type AggregationPlan } from './metric-aggregations.ts';
import { COUNTER_LOOKBACK_MS, MAX_METRIC_POINTS, MAX_METRIC_SERIES_STEPS, MAX_METRIC_STEPS } from './metric-limits.ts';
import { jsonValue, type StepPoint } from './metric-values.ts';
import { InvalidMetricQueryError, selectSeries, type MetricFilter, type SelectedSeries } from './series-selection.ts';
import {
  counterSteps,
  cumulativeHistogramRows,
  deltaExplicitBuckets,
  deltaExponentialBuckets,
  deltaHistogramTotals,
  exemplarRows,
  summarySteps,
  valueSteps,
  type CumulativeHistogramRow,
  type StepWindow,
} from './step-queries.ts';

export interface MetricQuery extends TimeRange {
  metric: string;
  filters: readonly MetricFilter[];
  groupBy: readonly string[];
  aggregation: Aggregation;
  /** Seconds per step, a positive integer. */
  stepSeconds: number;
}

export interface MetricResultSeries {
  /** The groupBy keys' values; null where the group's series have no such attribute. */
  labels: Record<string, string | null>;
  /** One point per step that has data, in time order: [unix ms of the step's start, value]. */
  points: StepPoint[];
  /** Exemplars of the group's points in the range (OTLP/JSON), oldest first. */
  exemplars: ExemplarJson[];
}

export interface MetricQueryResult {
  metric: string;
  /** Null when no series matched (an unknown metric, or filters that match nothing). */
  type: MetricType | null;
  unit: string | null;
  aggregation: Aggregation;
  step: number;
  start: number;
  end: number;
  series: MetricResultSeries[];
}

const DELTA = 1;

/**
 * One metric of one site over [start, end) in steps, aggregated per group of
 * series (see planAggregation for what each type answers). A step is
 * [start + i·step, start + (i+1)·step); a step without a value (no points, or
 * only NO_RECORDED_VALUE gaps) has no point in the answer: never a zero.
 *
 * Throws InvalidMetricQueryError (bad filters, too many steps or points),
 * TooManySeriesError, InvalidRegexError and WrongMetricTypeError.
 */
export async function queryMetric(db: Kysely<Database>, siteId: string, query: MetricQuery): Promise<MetricQueryResult> {
  const stepMs = query.stepSeconds * 1000;
  if (!Number.isSafeInteger(query.stepSeconds) || query.stepSeconds < 1) throw new InvalidMetricQueryError('step must be a positive integer of seconds');
  const steps = Math.ceil((query.end.getTime() - query.start.getTime()) / stepMs);
  if (!(steps >= 1)) throw new InvalidMetricQueryError('start must be before end');
  if (steps > MAX_METRIC_STEPS) {
    throw new InvalidMetricQueryError(`the query has ${steps} steps, more than ${MAX_METRIC_STEPS}: make step longer or the range shorter`);
  }
  const lookbackMs = Math.max(stepMs, COUNTER_LOOKBACK_MS);
  const readFrom = new Date(query.start.getTime() - lookbackMs);
  const series = await selectSeries(db, siteId, { metric: query.metric, filters: query.filters, groupBy: query.groupBy, from: readFrom, to: query.end });
  const result: MetricQueryResult = {
    metric: query.metric,
    type: null,
    unit: null,
    aggregation: query.aggregation,
    step: query.stepSeconds,
    start: query.start.getTime(),
    end: query.end.getTime(),
    series: [],
  };
  const first = series[0];
  if (first === undefined) return result;
  const kinds = new Set(series.map((s) => `${s.type}/${s.temporality}/${s.monotonic}`));
  if (kinds.size > 1) {
    throw new InvalidMetricQueryError(`${query.metric} has series of several kinds (type/temporality/monotonic: ${[...kinds].join(', ')}): filter them apart`);
  }
  const plan = planAggregation(query.metric, first, query.aggregation);
  result.type = first.type;
  result.unit = first.unit;

  const { groups, groupOf } = groupSeries(series);
  if (groups.length * steps > MAX_METRIC_POINTS) {
    throw new InvalidMetricQueryError(`the answer could hold ${groups.length * steps} points (${groups.length} groups × ${steps} steps), more than ${MAX_METRIC_POINTS}: make step longer or group by fewer keys`);
  }
  const window: StepWindow = {
    siteId,
    seriesIds: series.map((s) => s.id),
    groups: series.map((_, i) => groupOf[i]!),
    start: query.start,
    end: query.end,
    stepSeconds: query.stepSeconds,
    readFrom: plan.shape === 'counter' || (plan.shape === 'histogram' && first.temporality !== DELTA) ? readFrom : query.start,
  };
  if (plan.shape === 'histogram' && first.temporality !== DELTA && series.length * steps > MAX_METRIC_SERIES_STEPS) {
    throw new InvalidMetricQueryError(`the query reads ${series.length} cumulative histogram series × ${steps} steps, more than ${MAX_METRIC_SERIES_STEPS}: add filters or make step longer`);
  }

  const values = await stepValues(db, window, plan, first);
  const exemplars = await exemplarRows(db, window);
  result.series = groups.map((labels, g) => {
    const byStep = values.get(g) ?? new Map<number, number>();
    const points: StepPoint[] = [...byStep.entries()]
      .filter(([step]) => step >= 0 && step < steps)
      .sort((a, b) => a[0] - b[0])
      .map(([step, value]) => [query.start.getTime() + step * stepMs, jsonValue(value)]);
    return {
      labels: Object.fromEntries(query.groupBy.map((key, i) => [key, labels[i] ?? null])),
      points,
      exemplars: exemplars.filter((row) => row.g === g).map((row) => row.exemplar),
    };
  });
  return result;
}

/** The value of each group's steps, by group and step index. */
async function stepValues(db: Kysely<Database>, window: StepWindow, plan: AggregationPlan, kind: SelectedSeries): Promise<Map<number, Map<number, number>>> {
  const stepOf = stepIndex(window);
  const out = new Map<number, Map<number, number>>();
  const put = (g: number, bucket: Date | number, value: number | null) => {
    if (value === null) return;
    let byStep = out.get(g);
    if (byStep === undefined) out.set(g, (byStep = new Map()));
    byStep.set(typeof bucket === 'number' ? bucket : stepOf(bucket), value);
  };
  switch (plan.shape) {
    case 'values': {
      for (const row of await valueSteps(db, window)) {
        const value = { avg: row.mean, min: row.min, max: row.max, sum: row.meanSum, count: row.n }[plan.aggregation];
        put(row.g, row.bucket, value);
      }
      return out;
    }
    case 'delta-sum': {
      for (const row of await valueSteps(db, window)) put(row.g, row.bucket, plan.aggregation === 'rate' ? row.total / window.stepSeconds : row.total);
      return out;
    }
    case 'counter': {
      for (const row of await counterSteps(db, window)) put(row.g, row.bucket, plan.aggregation === 'rate' ? row.increase / window.stepSeconds : row.increase);
      return out;
    }
    case 'summary': {
      for (const row of await summarySteps(db, window, plan.quantile)) put(row.g, row.bucket, row.value);
      return out;
    }
    case 'histogram': {
      const merged = kind.type === 'histogram' ? await explicitSteps(db, window, kind.temporality) : await exponentialSteps(db, window, kind.temporality);
      for (const [key, step] of merged) {
        const [g, index] = key.split('/').map(Number) as [number, number];
        if (plan.aggregation === 'count') put(g, index, step.count);
        else if (plan.aggregation === 'sum') put(g, index, step.sum);
        else if (plan.aggregation === 'avg') put(g, index, step.sum === null || step.count === 0 ? null : step.sum / step.count);
        else put(g, index, step.quantile(plan.quantile));
      }
      return out;
    }
  }
}

/** The index of the step a date_bin bucket starts (negative before the query's start). */
function stepIndex(window: StepWindow): (bucket: Date) => number {
  const stepMs = window.stepSeconds * 1000;
  return (bucket) => Math.round((bucket.getTime() - window.start.getTime()) / stepMs);
}

/** Series grouped by their groupBy values, in order of first appearance. */
function groupSeries(series: readonly SelectedSeries[]): { groups: (string | null)[][]; groupOf: number[] } {
  const index = new Map<string, number>();
  const groups: (string | null)[][] = [];
  const groupOf = series.map((s) => {
    const key = JSON.stringify(s.groupValues);
    let g = index.get(key);
    if (g === undefined) {
      g = groups.length;
      groups.push(s.groupValues);
      index.set(key, g);
    }
    return g;
  });
  return { groups, groupOf };
}

/** What a group's step of a histogram metric holds: its observations' count and sum, and a quantile estimate. */
interface HistogramStep {
  count: number;
  sum: number | null;
  quantile(q: number): number | null;
}

/** Per "group/step", the merged histogram of the step. */
type HistogramSteps = Map<string, HistogramStep>;

class MergedSteps<H> {
  readonly #steps = new Map<string, { count: number; sum: number | null; buckets: H | null }>();
  readonly #merge: (into: H | null, from: H) => H;
  readonly #quantile: (buckets: H, q: number) => number | null;

  constructor(merge: (into: H | null, from: H) => H, quantile: (buckets: H, q: number) => number | null) {
    this.#merge = merge;
    this.#quantile = quantile;
  }

  add(g: number, step: number, increment: HistogramIncrement<H>): void {
    const key = `${g}/${step}`;
    const at = this.#steps.get(key) ?? { count: 0, sum: 0, buckets: null };
    at.count += increment.count;
    at.sum = at.sum === null || increment.sum === null ? null : at.sum + increment.sum;
    at.buckets = this.#merge(at.buckets, increment.buckets);
    this.#steps.set(key, at);
  }

  addTotals(g: number, step: number, count: number, sum: number | null): void {
    const key = `${g}/${step}`;
    const at = this.#steps.get(key) ?? { count: 0, sum: 0, buckets: null };
    at.count += count;
    at.sum = at.sum === null || sum === null ? null : at.sum + sum;
    this.#steps.set(key, at);
  }

  addBuckets(g: number, step: number, buckets: H): void {
    const key = `${g}/${step}`;
    const at = this.#steps.get(key) ?? { count: 0, sum: 0, buckets: null };
    at.buckets = this.#merge(at.buckets, buckets);
    this.#steps.set(key, at);
  }

  result(): HistogramSteps {
    const out: HistogramSteps = new Map();
    for (const [key, at] of this.#steps) {
      const buckets = at.buckets;
      out.set(key, { count: at.count, sum: at.sum, quantile: (q) => (buckets === null ? null : this.#quantile(buckets, q)) });
    }
    return out;
  }
}

const numbers = (values: readonly string[] | null): number[] => (values ?? []).map(Number);

function explicitOf(row: CumulativeHistogramRow): ExplicitHistogram {
  return { bounds: row.explicit_bounds ?? [], counts: numbers(row.bucket_counts) };
}

function exponentialOf(row: CumulativeHistogramRow): ExponentialHistogram {
  const side = (offset: number | null, counts: readonly string[] | null) => {
    const map = new Map<number, number>();
    numbers(counts).forEach((count, i) => {
      if (count > 0) map.set((offset ?? 0) + i, count);
    });
    return map;
  };
  return {
    scale: row.exp_scale ?? 0,
    zero: Number(row.exp_zero_count ?? 0),
    positive: side(row.exp_positive_offset, row.exp_positive_counts),
    negative: side(row.exp_negative_offset, row.exp_negative_counts),
  };
}

async function cumulativeInto<H>(db: Kysely<Database>, window: StepWindow, merged: MergedSteps<H>, of: (row: CumulativeHistogramRow) => H, minus: BucketsMinus<H>): Promise<void> {
  const rows = await cumulativeHistogramRows(db, window);
  const stepOf = stepIndex(window);
  const groupOf = new Map<string, number>();
  const points = function* (): Generator<CumulativePoint<H>> {
    for (const row of rows) {
      const series = row.series_id.toString('hex');
      groupOf.set(series, row.g);
      yield {
        series,
        run: row.run,
        step: stepOf(row.bucket),
        first: row.first,
        last: row.last,
        fromZero: row.from_zero,
        value: { count: Number(row.count), sum: row.sum, buckets: of(row) },
      };
    }
  };
  for (const { series, step, increment } of histogramIncrements(points(), minus)) merged.add(groupOf.get(series)!, step, increment);
}

async function explicitSteps(db: Kysely<Database>, window: StepWindow, temporality: number): Promise<HistogramSteps> {
  const merged = new MergedSteps<ExplicitHistogram>(mergeExplicit, explicitQuantile);
  const stepOf = stepIndex(window);
  if (temporality !== DELTA) {
    await cumulativeInto(db, window, merged, explicitOf, explicitMinus);
    return merged.result();
  }
  for (const row of await deltaHistogramTotals(db, window)) merged.addTotals(row.g, stepOf(row.bucket), row.count, row.sum);
  for (const row of await deltaExplicitBuckets(db, window)) merged.addBuckets(row.g, stepOf(row.bucket), { bounds: row.bounds ?? [], counts: numbers(row.counts) });
  return merged.result();
}

async function exponentialSteps(db: Kysely<Database>, window: StepWindow, temporality: number): Promise<HistogramSteps> {
  const merged = new MergedSteps<ExponentialHistogram>(mergeExponential, exponentialQuantile);
  const stepOf = stepIndex(window);
  if (temporality !== DELTA) {
    await cumulativeInto(db, window, merged, exponentialOf, exponentialMinus);
    return merged.result();
  }
  for (const row of await deltaHistogramTotals(db, window)) merged.addTotals(row.g, stepOf(row.bucket), row.count, row.sum);
  // One histogram per (group, step, scale), merged into the group's step at the coarsest scale.
  const byKey = new Map<string, { g: number; step: number; histogram: ExponentialHistogram }>();
  for (const row of await deltaExponentialBuckets(db, window)) {
    const step = stepOf(row.bucket);
    const key = `${row.g}/${step}/${row.scale}`;
    let at = byKey.get(key);
    if (at === undefined) byKey.set(key, (at = { g: row.g, step, histogram: { scale: row.scale, zero: 0, positive: new Map(), negative: new Map() } }));
    if (row.side === 'z') at.histogram.zero += row.count;
    else if (row.count > 0) (row.side === 'p' ? at.histogram.positive : at.histogram.negative).set(row.index, row.count);
  }
  for (const { g, step, histogram } of byKey.values()) merged.addBuckets(g, step, histogram);
  return merged.result();
}
