import { sql, type RawBuilder } from 'kysely';
import { isStorableText } from './goals-match.ts';
import { visitColumns, type VisitDimension } from './visit-dimensions.ts';

// The visit:* filters a funnel takes, in the query API's syntax
// ([operator, "visit:dimension", [values]]), as conditions on sessions.

export const VISIT_FILTER_OPERATORS = ['is', 'is_not', 'contains', 'contains_not'] as const;
export type VisitFilterOperator = (typeof VISIT_FILTER_OPERATORS)[number];
export type VisitFilter = [VisitFilterOperator, VisitDimension, string[]];

export const MAX_VISIT_FILTERS = 10;
export const MAX_VISIT_FILTER_VALUES = 50;
const MAX_VALUE_LENGTH = 1024;

export class InvalidVisitFilterError extends Error {}

/** Filters from untrusted JSON; anything but the supported visit filters is refused with a message. */
export function parseVisitFilters(value: unknown): VisitFilter[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidVisitFilterError('filters must be an array of [operator, dimension, [values]]');
  if (value.length > MAX_VISIT_FILTERS) throw new InvalidVisitFilterError(`at most ${MAX_VISIT_FILTERS} filters are allowed`);
  return value.map((filter: unknown, i): VisitFilter => {
    if (!Array.isArray(filter) || filter.length !== 3) throw new InvalidVisitFilterError(`filters[${i}] must be [operator, dimension, [values]]`);
    const [operator, dimension, values] = filter as unknown[];
    if (typeof operator !== 'string' || !(VISIT_FILTER_OPERATORS as readonly string[]).includes(operator)) {
      throw new InvalidVisitFilterError(`filters[${i}]: the operator must be one of ${VISIT_FILTER_OPERATORS.join(', ')}`);
    }
    if (typeof dimension !== 'string' || !Object.hasOwn(visitColumns, dimension)) {
      throw new InvalidVisitFilterError(`filters[${i}]: funnels filter on visit dimensions only (${Object.keys(visitColumns).join(', ')})`);
    }
    if (!Array.isArray(values) || values.length === 0 || values.length > MAX_VISIT_FILTER_VALUES) {
      throw new InvalidVisitFilterError(`filters[${i}]: values must be an array of 1 to ${MAX_VISIT_FILTER_VALUES} strings`);
    }
    for (const text of values) {
      if (typeof text !== 'string' || text.length > MAX_VALUE_LENGTH || !isStorableText(text)) {
        throw new InvalidVisitFilterError(`filters[${i}]: each value must be a string of at most ${MAX_VALUE_LENGTH} characters without NUL`);
      }
    }
    return [operator as VisitFilterOperator, dimension as VisitDimension, values as string[]];
  });
}

/** One condition over the sessions of `alias` that is true when every filter holds (TRUE without filters). */
export function visitFiltersSql(filters: readonly VisitFilter[], alias = 's'): RawBuilder<boolean> {
  if (filters.length === 0) return sql<boolean>`TRUE`;
  return sql<boolean>`(${sql.join(
    filters.map(([operator, dimension, values]) => {
      const column = sql.ref(`${alias}.${visitColumns[dimension]}`);
      const patterns = values.map((value) => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      switch (operator) {
        case 'is':
          return sql`${column} = ANY(${values}::text[])`;
        case 'is_not':
          return sql`${column} <> ALL(${values}::text[])`;
        case 'contains':
          return sql`${column} ILIKE ANY(${patterns}::text[])`;
        case 'contains_not':
          return sql`NOT (${column} ILIKE ANY(${patterns}::text[]))`;
      }
    }),
    sql` AND `,
  )})`;
}
