import { checkCustomRange, InvalidDateRangeError, namedDateRanges, type DateRangeInput } from './analytics-range.ts';
import { isDimension, isTimeDimension, valueDimension } from './analytics-dimensions.ts';
import { analyticsMetrics, type AnalyticsMetric } from './analytics-metrics.ts';

// A query of the Plausible Stats API v2 shape, checked whole before any SQL is
// built: every mistake is a 400 with a message naming what is wrong, and every
// list is bounded so no request can make an unbounded statement.

export const filterOps = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const;
export type FilterOp = (typeof filterOps)[number];

export type AnalyticsFilter =
  | { kind: 'match'; op: FilterOp; dimension: string; values: string[] }
  | { kind: 'and' | 'or'; filters: AnalyticsFilter[] }
  | { kind: 'not'; filter: AnalyticsFilter };

export interface OrderBy {
  /** A metric or a dimension of the query. */
  key: string;
  direction: 'asc' | 'desc';
}

export interface AnalyticsQuery {
  /** The site asked for, if any (it must be the key's). */
  site: string | null;
  dateRange: DateRangeInput;
  metrics: AnalyticsMetric[];
  dimensions: string[];
  /** All must hold (the top-level list is an implicit "and"). */
  filters: AnalyticsFilter[];
  orderBy: OrderBy[];
  limit: number;
  offset: number;
  /** compare: previous_period. */
  compare: boolean;
}

export const MAX_FILTERS = 20;
export const MAX_FILTER_DEPTH = 3;
export const MAX_FILTER_VALUES = 100;
export const MAX_FILTER_VALUE_LENGTH = 1024;
export const MAX_REGEX_LENGTH = 256;
export const MAX_DIMENSIONS = 6;
export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 10_000;
export const MAX_OFFSET = 1_000_000;

/** A request the API cannot answer as asked; its message says why (a 400). */
export class InvalidAnalyticsQueryError extends Error {}

const fail = (message: string): never => {
  throw new InvalidAnalyticsQueryError(message);
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const topLevelKeys = new Set(['site', 'site_id', 'date_range', 'metrics', 'dimensions', 'filters', 'order_by', 'limit', 'offset', 'pagination', 'include', 'compare']);

/** Reads and checks a query body; throws InvalidAnalyticsQueryError. */
export function parseAnalyticsQuery(body: unknown): AnalyticsQuery {
  if (!isObject(body)) fail('the body must be a JSON object');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!topLevelKeys.has(key)) fail(`unknown field "${key}"`);
  const site = parseSite(input.site ?? input.site_id);
  const dateRange = parseDateRange(input.date_range);
  const metrics = parseMetrics(input.metrics);
  const dimensions = parseDimensions(input.dimensions);
  const filters = parseFilterList(input.filters);
  const orderBy = parseOrderBy(input.order_by, metrics, dimensions);
  const { limit, offset } = parsePagination(input);
  const compare = parseCompare(input);
  const query = { site, dateRange, metrics, dimensions, filters, orderBy, limit, offset, compare };
  checkMetricsAllowed(query);
  return query;
}

function parseSite(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fail('site must be the site ID (a string)');
  return value as string;
}

function parseDateRange(value: unknown): DateRangeInput {
  if (value === undefined) return fail(`date_range is required: one of ${namedDateRanges.join(', ')} or [start, end]`);
  if (typeof value === 'string') {
    if ((namedDateRanges as readonly string[]).includes(value)) return value as DateRangeInput;
    return fail(`date_range "${value.slice(0, 64)}" is not one of ${namedDateRanges.join(', ')} or [start, end]`);
  }
  if (!Array.isArray(value) || value.length !== 2 || !value.every((item) => typeof item === 'string' && item.length <= 64)) {
    return fail(`date_range must be one of ${namedDateRanges.join(', ')} or [start, end] of two ISO dates or datetimes`);
  }
  const range = [value[0] as string, value[1] as string] as const;
  try {
    checkCustomRange(range);
  } catch (error) {
    if (error instanceof InvalidDateRangeError) fail(error.message);
    throw error;
  }
  return range;
}

function parseMetrics(value: unknown): AnalyticsMetric[] {
  if (!Array.isArray(value) || value.length === 0) return fail(`metrics must be a non-empty list of: ${analyticsMetrics.join(', ')}`);
  const metrics: AnalyticsMetric[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string' || !(analyticsMetrics as readonly string[]).includes(item)) {
      fail(`unknown metric ${JSON.stringify(item).slice(0, 80)}: metrics are ${analyticsMetrics.join(', ')}`);
    }
    if (metrics.includes(item as AnalyticsMetric)) fail(`metric "${item as string}" is listed twice`);
    metrics.push(item as AnalyticsMetric);
  }
  return metrics;
}

function parseDimensions(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail('dimensions must be a list');
  if (value.length > MAX_DIMENSIONS) fail(`at most ${MAX_DIMENSIONS} dimensions`);
  const dimensions: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string' || !isDimension(item)) fail(`unknown dimension ${JSON.stringify(item).slice(0, 80)}`);
    const name = item as string;
    if (dimensions.includes(name)) fail(`dimension "${name}" is listed twice`);
    if (isTimeDimension(name) && dimensions.some(isTimeDimension)) fail('at most one time dimension');
    dimensions.push(name);
  }
  return dimensions;
}

/** The top-level filter list, an implicit "and". */
function parseFilterList(value: unknown): AnalyticsFilter[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail('filters must be a list');
  const counter = { matches: 0 };
  return (value as unknown[]).map((item) => parseFilter(item, 1, counter));
}

function parseFilter(value: unknown, depth: number, counter: { matches: number }): AnalyticsFilter {
  if (depth > MAX_FILTER_DEPTH) fail(`filters nest at most ${MAX_FILTER_DEPTH} deep`);
  if (!Array.isArray(value) || value.length === 0) return fail('a filter is a list: [operator, dimension, [values]], ["and"|"or", [filters]] or ["not", filter]');
  const [op, ...rest] = value as unknown[];
  if (op === 'and' || op === 'or') {
    if (rest.length !== 1 || !Array.isArray(rest[0]) || rest[0].length === 0) return fail(`"${op}" takes one non-empty list of filters: ["${op}", [filters]]`);
    return { kind: op, filters: (rest[0] as unknown[]).map((item) => parseFilter(item, depth + 1, counter)) };
  }
  if (op === 'not') {
    if (rest.length !== 1) return fail('"not" takes one filter: ["not", filter]');
    return { kind: 'not', filter: parseFilter(rest[0], depth + 1, counter) };
  }
  if (typeof op !== 'string' || !(filterOps as readonly string[]).includes(op)) {
    return fail(`unknown filter operator ${JSON.stringify(op).slice(0, 80)}: one of ${filterOps.join(', ')}, and, or, not`);
  }
  counter.matches += 1;
  if (counter.matches > MAX_FILTERS) fail(`at most ${MAX_FILTERS} filters`);
  const [dimension, values, modifiers] = rest;
  if (rest.length < 2 || rest.length > 3 || (rest.length === 3 && !isObject(modifiers))) return fail(`a filter is [operator, dimension, [values]]`);
  if (typeof dimension !== 'string' || !isDimension(dimension)) return fail(`unknown filter dimension ${JSON.stringify(dimension).slice(0, 80)}`);
  if (isTimeDimension(dimension)) fail('time dimensions cannot be filtered: use date_range');
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_FILTER_VALUES) {
    return fail(`the values of a filter on ${dimension} must be a list of 1 to ${MAX_FILTER_VALUES} strings`);
  }
  const strings: string[] = [];
  for (const item of values as unknown[]) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') return fail(`filter values on ${dimension} must be strings`);
    const text = String(item);
    if (text.includes('\u0000')) fail('filter values must not contain NUL');
    if (text.length > MAX_FILTER_VALUE_LENGTH) fail(`filter values are at most ${MAX_FILTER_VALUE_LENGTH} characters`);
    if ((op === 'matches' || op === 'matches_not') && text.length > MAX_REGEX_LENGTH) {
      fail(`a regular expression is at most ${MAX_REGEX_LENGTH} characters`);
    }
    strings.push(text);
  }
  if (dimension === 'event:goal' && (op === 'matches' || op === 'matches_not')) fail('goals are filtered by name: is, is_not, contains or contains_not');
  return { kind: 'match', op: op as FilterOp, dimension, values: strings };
}

function parseOrderBy(value: unknown, metrics: readonly string[], dimensions: readonly string[]): OrderBy[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > metrics.length + dimensions.length) return fail('order_by must be a list of [metric or dimension, "asc"|"desc"]');
  const order: OrderBy[] = [];
  for (const item of value as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2 || (item[1] !== 'asc' && item[1] !== 'desc')) fail('order_by items are [metric or dimension, "asc"|"desc"]');
    const [key, direction] = item as [unknown, 'asc' | 'desc'];
    if (typeof key !== 'string' || (!metrics.includes(key) && !dimensions.includes(key))) {
      fail(`order_by ${JSON.stringify(key).slice(0, 80)} is not one of the query's metrics or dimensions`);
    }
    order.push({ key: key as string, direction });
  }
  return order;
}

function parsePagination(input: Record<string, unknown>): { limit: number; offset: number } {
  let { limit, offset } = input;
  if (input.pagination !== undefined) {
    if (!isObject(input.pagination) || Object.keys(input.pagination).some((key) => key !== 'limit' && key !== 'offset')) {
      fail('pagination is { limit, offset }');
    }
    const pagination = input.pagination as Record<string, unknown>;
    limit ??= pagination.limit;
    offset ??= pagination.offset;
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT)) {
    fail(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  if (offset !== undefined && (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) > MAX_OFFSET)) {
    fail(`offset must be an integer from 0 to ${MAX_OFFSET}`);
  }
  return { limit: (limit as number | undefined) ?? DEFAULT_LIMIT, offset: (offset as number | undefined) ?? 0 };
}

function parseCompare(input: Record<string, unknown>): boolean {
  let compare = input.compare;
  if (input.include !== undefined) {
    if (!isObject(input.include)) fail('include must be an object');
    const include = input.include as Record<string, unknown>;
    for (const key of Object.keys(include)) {
      if (key !== 'compare' && key !== 'comparisons') fail(`unknown include "${key}": only compare is supported`);
    }
    compare ??= include.compare ?? include.comparisons;
  }
  if (compare === undefined || compare === null || compare === false) return false;
  if (compare !== 'previous_period') fail('compare must be "previous_period"');
  return true;
}

/** Every match filter in a filter tree. */
export function matchFilters(filters: readonly AnalyticsFilter[]): Array<Extract<AnalyticsFilter, { kind: 'match' }>> {
  const found: Array<Extract<AnalyticsFilter, { kind: 'match' }>> = [];
  const walk = (filter: AnalyticsFilter): void => {
    if (filter.kind === 'match') found.push(filter);
    else if (filter.kind === 'not') walk(filter.filter);
    else filter.filters.forEach(walk);
  };
  filters.forEach(walk);
  return found;
}

/** Whether the query reads events (an event dimension or an event filter) rather than visits. */
export function readsEvents(query: { dimensions: readonly string[]; filters: readonly AnalyticsFilter[] }): boolean {
  const names = [...query.dimensions, ...matchFilters(query.filters).map((filter) => filter.dimension)];
  return names.some((name) => valueDimension(name)?.kind === 'event');
}

/** Checks what needs the whole query: which metrics the dimensions and filters allow. */
export function checkMetricsAllowed(query: AnalyticsQuery): void {
  const events = readsEvents(query);
  for (const metric of ['bounce_rate', 'visit_duration'] as const) {
    if (events && query.metrics.includes(metric)) {
      fail(`metric ${metric} belongs to visits: it cannot be combined with event:* dimensions or filters`);
    }
  }
  const goal = query.dimensions.includes('event:goal') || matchFilters(query.filters).some((filter) => filter.dimension === 'event:goal');
  if (query.metrics.includes('conversion_rate') && !goal) fail('metric conversion_rate needs an event:goal dimension or filter');
}
