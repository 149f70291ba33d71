import { sql, type RawBuilder } from 'kysely';
import type { TimeGrain } from './analytics-range.ts';
import { visitColumns } from './visit-dimensions.ts';

// The dimensions of the query API: what each reads (a column of the visit's
// session row, or of the event row) and whether the rollups keep it. The SQL
// path aliases sessions `s` and events `e`.

export type DimensionKind = 'time' | 'visit' | 'event';

export const visitDimensions = Object.keys(visitColumns) as Array<keyof typeof visitColumns>;
export const eventDimensions = ['event:page', 'event:name', 'event:goal', 'event:hostname'] as const;
export const PROPS_PREFIX = 'event:props:';
export const MAX_PROP_KEY_LENGTH = 300;

export const timeDimensions = ['time', 'time:hour', 'time:day', 'time:week', 'time:month'] as const;

/** A dimension that is not time: what it reads. */
export interface ValueDimension {
  name: string;
  kind: 'visit' | 'event';
  /** The value's SQL over `s` (visit) or `e` (event); event:goal has none (goals are joined). */
  column: RawBuilder<string> | null;
  /** Which events carry the dimension at all (event dimensions), e.g. pageviews for event:page. */
  domain: RawBuilder<boolean> | null;
  /** Kept by analytics_rollups under this name. */
  rolledUp: boolean;
}

/** Whether `name` is a known dimension (event:props:KEY with a key of 1 to MAX_PROP_KEY_LENGTH characters). */
export function isDimension(name: string): boolean {
  return isTimeDimension(name) || valueDimension(name) !== null;
}

export function isTimeDimension(name: string): boolean {
  return (timeDimensions as readonly string[]).includes(name);
}

/** The grain of a time dimension; plain `time` has none (the range chooses). */
export function grainOfTimeDimension(name: string): TimeGrain | null {
  return name === 'time' ? null : (name.slice('time:'.length) as TimeGrain);
}

export function valueDimension(name: string): ValueDimension | null {
  if (Object.hasOwn(visitColumns, name)) {
    const column = visitColumns[name as keyof typeof visitColumns];
    return { name, kind: 'visit', column: sql<string>`s.${sql.ref(column)}`, domain: null, rolledUp: true };
  }
  switch (name) {
    case 'event:page':
      return { name, kind: 'event', column: sql<string>`e.pathname`, domain: sql<boolean>`e.name = 'pageview'`, rolledUp: true };
    case 'event:name':
      return { name, kind: 'event', column: sql<string>`e.name`, domain: sql<boolean>`e.name <> 'engagement'`, rolledUp: true };
    case 'event:hostname':
      return { name, kind: 'event', column: sql<string>`e.hostname`, domain: null, rolledUp: false };
    case 'event:goal':
      return { name, kind: 'event', column: null, domain: null, rolledUp: false };
  }
  if (name.startsWith(PROPS_PREFIX)) {
    const key = name.slice(PROPS_PREFIX.length);
    if (key.length === 0 || key.length > MAX_PROP_KEY_LENGTH || key.includes('\u0000')) return null;
    return {
      name,
      kind: 'event',
      column: sql<string>`(e.props ->> ${key})`,
      // Rolled up from custom events that carry the key (analytics contract).
      domain: sql<boolean>`(e.name NOT IN ('pageview', 'engagement') AND (e.props ->> ${key}) IS NOT NULL)`,
      rolledUp: true,
    };
  }
  return null;
}

/**
 * How an empty stored value is shown, and typed in `is` filters: a visit
 * without a source is "Direct / None" (Plausible's words); any other empty
 * value is "(none)". Both paths show values through this one function.
 */
export function displayValue(dimension: string, stored: string): string {
  if (stored !== '') return stored;
  return dimension === 'visit:source' ? 'Direct / None' : '(none)';
}

/** The stored value an `is`/`is_not` filter value stands for (the inverse of displayValue). */
export function storedValue(dimension: string, given: string): string {
  return given === displayValue(dimension, '') ? '' : given;
}
