import { sql, type Expression, type SqlBool } from 'kysely';
import type { AnyValueJson, KeyValueJson } from '@justanalytics/collector/model';

const INT64 = /^-?(0|[1-9]\d{0,18})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The OTLP/JSON values an attribute may hold for a filter `attr.KEY=VALUE` to
 * match: the string VALUE, or an int, double or bool whose text is VALUE.
 * Each one is a `[{key, value}]` array for jsonb containment (`@>`).
 */
export function attributeCandidates(key: string, text: string): KeyValueJson[][] {
  const values: AnyValueJson[] = [{ stringValue: text }];
  if (INT64.test(text)) {
    const n = BigInt(text);
    if (n >= INT64_MIN && n <= INT64_MAX) values.push({ intValue: text });
  }
  if (text === 'true' || text === 'false') values.push({ boolValue: text === 'true' });
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') {
    values.push({ doubleValue: text });
  } else if (text.trim() === text && text !== '') {
    // Only when the double prints back as VALUE, so "1.50" does not match 1.5.
    const n = Number(text);
    if (Number.isFinite(n) && String(n) === text) values.push({ doubleValue: n });
  }
  return values.map((value) => [{ key, value }]);
}

/**
 * A filter `attr.KEY=VALUE` on rows of any signal aliased `row`: the row's own
 * attributes or its resource's hold one of the candidates. Any day's
 * resource_scopes row of the row's id will do (they are all the same), so
 * [fromDay, toDay) only bounds which partitions are read.
 */
export function attributeFilter(row: string, key: string, text: string, fromDay: Date, toDay: Date): Expression<SqlBool> {
  const attributes = sql.ref(`${row}.attributes`);
  const siteId = sql.ref(`${row}.site_id`);
  const resourceScopeId = sql.ref(`${row}.resource_scope_id`);
  const matches = attributeCandidates(key, text).flatMap((candidate) => [
    sql<SqlBool>`${attributes} @> ${JSON.stringify(candidate)}::jsonb`,
    sql<SqlBool>`EXISTS (
      SELECT 1 FROM resource_scopes rs
      WHERE rs.site_id = ${siteId} AND rs.id = ${resourceScopeId}
        AND rs.day >= ${fromDay} AND rs.day < ${toDay}
        AND rs.resource @> ${JSON.stringify({ attributes: candidate })}::jsonb)`,
  ]);
  return sql<SqlBool>`(${sql.join(matches, sql` OR `)})`;
}
