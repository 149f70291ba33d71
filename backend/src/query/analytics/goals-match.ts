import { sql, type RawBuilder } from 'kysely';

// What a goal or a funnel step is, and the SQL that tells whether an event
// matches one. Shared by goal conversions, funnels and the query API's
// conversion_rate, so a goal means the same everywhere.

/** A scalar property value a goal may require (compared as a JSON value: 3 is not "3"). */
export type GoalPropValue = string | number | boolean;

/** A pageview of a page matching a pattern, or a custom event, optionally with properties. */
export type GoalDefinition = { page: string } | { event: string; props?: Record<string, GoalPropValue> };

export const MAX_GOAL_PATTERN_LENGTH = 1024;
export const MAX_GOAL_PROPS = 10;

export class InvalidGoalError extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that jsonb and text columns store as given: no NUL, no lone UTF-16 surrogate (jsonb refuses its escape). */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/**
 * A goal from untrusted JSON: exactly one of `page` (a pathname pattern
 * starting with '/') or `event` (a name), `props` only with `event`.
 */
export function parseGoalDefinition(value: unknown, what = 'a goal'): GoalDefinition {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidGoalError(`${what} must be an object`);
  const { page, event, props, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest).filter((key) => key !== 'name' && key !== 'label');
  if (extra.length > 0) throw new InvalidGoalError(`${what} has an unknown field ${JSON.stringify(extra[0])}`);
  if ((page === undefined) === (event === undefined)) throw new InvalidGoalError(`${what} needs exactly one of page or event`);
  if (page !== undefined) {
    if (typeof page !== 'string' || !page.startsWith('/') || page.length > MAX_GOAL_PATTERN_LENGTH || !isStorableText(page)) {
      throw new InvalidGoalError(`${what}'s page must be a path pattern starting with "/" of at most ${MAX_GOAL_PATTERN_LENGTH} characters`);
    }
    if (props !== undefined) throw new InvalidGoalError(`${what}: props go with event, not page`);
    return { page };
  }
  if (typeof event !== 'string' || event === '' || event.length > MAX_GOAL_PATTERN_LENGTH || !isStorableText(event)) {
    throw new InvalidGoalError(`${what}'s event must be a non-empty name of at most ${MAX_GOAL_PATTERN_LENGTH} characters`);
  }
  if (event === 'engagement') throw new InvalidGoalError(`${what}: engagement events cannot be goals`);
  if (props === undefined) return { event };
  if (typeof props !== 'object' || props === null || Array.isArray(props)) throw new InvalidGoalError(`${what}'s props must be an object`);
  const entries = Object.entries(props);
  if (entries.length > MAX_GOAL_PROPS) throw new InvalidGoalError(`${what} may require at most ${MAX_GOAL_PROPS} props`);
  const checked: Record<string, GoalPropValue> = {};
  for (const [key, prop] of entries) {
    if (!['string', 'number', 'boolean'].includes(typeof prop)) throw new InvalidGoalError(`${what}'s prop ${JSON.stringify(key)} must be a string, number or boolean`);
    if (!isStorableText(key) || (typeof prop === 'string' && (!isStorableText(prop) || prop.length > MAX_GOAL_PATTERN_LENGTH))) {
      throw new InvalidGoalError(`${what}'s prop ${JSON.stringify(key)} is not storable text`);
    }
    checked[key] = prop as GoalPropValue;
  }
  return entries.length === 0 ? { event } : { event, props: checked };
}

/** How a goal is shown when it has no name: "Visit /pricing*", or the event name and its props. */
export function goalLabel(goal: GoalDefinition): string {
  if ('page' in goal) return `Visit ${goal.page}`;
  const props = Object.entries(goal.props ?? {}).map(([key, value]) => `${key}=${String(value)}`);
  return props.length === 0 ? goal.event : `${goal.event} (${props.join(', ')})`;
}

/**
 * A page pattern as a LIKE pattern: `*` matches any run of characters ('/'
 * included; `**` is the same), everything else itself. The query API's
 * conversion_rate reads goals the same way (analytics-goals-read.ts).
 */
export function pagePatternLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*+/g, '%');
}

/**
 * True for events (columns of `alias`: name, pathname, props) that the goal
 * matches: a pageview of a matching path, or the named custom event carrying
 * every given prop with the same JSON value (jsonb containment: 3 is not "3").
 */
export function goalMatchesSql(goal: GoalDefinition, alias = 'e'): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  if ('page' in goal) return sql<boolean>`(${column('name')} = 'pageview' AND ${column('pathname')} LIKE ${pagePatternLike(goal.page)})`;
  if (goal.props === undefined) return sql<boolean>`(${column('name')} = ${goal.event})`;
  return sql<boolean>`(${column('name')} = ${goal.event} AND ${column('props')} @> ${JSON.stringify(goal.props)}::jsonb)`;
}
