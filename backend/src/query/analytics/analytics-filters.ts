import { sql, type RawBuilder } from 'kysely';
import { storedValue, valueDimension } from './analytics-dimensions.ts';
import { goalMatchSql, type Goal } from './analytics-goals-read.ts';
import type { AnalyticsFilter, FilterOp } from './analytics-request.ts';

// Filters as SQL conditions. Values are always bound parameters. `matches`
// is a PostgreSQL regular expression (its engine does not backtrack
// exponentially, and the API pool's statement timeout bounds the rest); an
// invalid one fails the statement with SQLSTATE 2201B, answered as a 400.

/** Where a dimension's value is read: a column, and for event dimensions which events carry it. */
export interface FilterColumn {
  value: RawBuilder<string>;
  domain: RawBuilder<boolean> | null;
}

export type ColumnOf = (dimension: string) => FilterColumn;

/** The raw path's columns: sessions `s`, events `e`. */
export const rawColumnOf: ColumnOf = (dimension) => {
  const spec = valueDimension(dimension);
  if (spec === null || spec.column === null) throw new Error(`no column for ${dimension}`);
  return { value: spec.column, domain: spec.domain };
};

const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const negated = (op: FilterOp): boolean => op.endsWith('_not');

/** The positive test of a value against a filter's values. */
export function valueTestSql(op: FilterOp, dimension: string, column: RawBuilder<string>, values: readonly string[]): RawBuilder<boolean> {
  switch (op) {
    case 'is':
    case 'is_not':
      return sql<boolean>`${column} = ANY(${values.map((value) => storedValue(dimension, value))}::text[])`;
    case 'contains':
    case 'contains_not':
      return sql<boolean>`${column} LIKE ANY(${values.map((value) => `%${likeEscape(value)}%`)}::text[])`;
    case 'matches':
    case 'matches_not':
      return sql<boolean>`${column} ~ ANY(${values}::text[])`;
  }
}

/** Goals whose names a goal filter selects (names compare in TypeScript: goals are few). */
function selectedGoals(op: FilterOp, values: readonly string[], goals: readonly Goal[]): Goal[] {
  const contains = op === 'contains' || op === 'contains_not';
  return goals.filter((goal) => values.some((value) => (contains ? goal.name.includes(value) : goal.name === value)));
}

/** One filter as a condition; `goals` are the site's (for event:goal). */
export function filterSql(filter: AnalyticsFilter, columnOf: ColumnOf, goals: readonly Goal[]): RawBuilder<boolean> {
  switch (filter.kind) {
    case 'and':
    case 'or': {
      const parts = filter.filters.map((item) => filterSql(item, columnOf, goals));
      return sql<boolean>`(${sql.join(parts, filter.kind === 'and' ? sql` AND ` : sql` OR `)})`;
    }
    case 'not':
      return sql<boolean>`(NOT ${filterSql(filter.filter, columnOf, goals)})`;
    case 'match': {
      if (filter.dimension === 'event:goal') {
        // is / contains: events completing one of the goals named; is_not / contains_not: events completing none of them.
        const chosen = selectedGoals(filter.op, filter.values, goals).map(goalMatchSql);
        const any = chosen.length === 0 ? sql<boolean>`false` : sql<boolean>`(${sql.join(chosen, sql` OR `)})`;
        return negated(filter.op) ? sql<boolean>`(NOT ${any})` : any;
      }
      const column = columnOf(filter.dimension);
      const test = valueTestSql(filter.op, filter.dimension, column.value, filter.values);
      const checked = negated(filter.op) ? sql<boolean>`(NOT ${test})` : test;
      return column.domain === null ? sql<boolean>`(${checked})` : sql<boolean>`(${column.domain} AND ${checked})`;
    }
  }
}

/** The top-level list (an implicit "and"), or true. */
export function filtersSql(filters: readonly AnalyticsFilter[], columnOf: ColumnOf, goals: readonly Goal[]): RawBuilder<boolean> {
  if (filters.length === 0) return sql<boolean>`true`;
  return sql<boolean>`(${sql.join(filters.map((filter) => filterSql(filter, columnOf, goals)), sql` AND `)})`;
}

