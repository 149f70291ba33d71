import { sql, type RawBuilder } from 'kysely';

// How a query names an attribute: a key is the point's attribute when the
// point (its series) has one of that key, else the resource's. This holds for
// filters, groupBy and the attribute-values list alike, so `host.name`
// (a resource attribute) and `state` (a point attribute) both just work.
// An attribute's value is compared as text: a string as itself, an int as its
// decimal digits, a bool as true/false, a double as PostgreSQL prints it
// (NaN, Infinity), anything else as its OTLP/JSON.

/** The text of the attribute `key` in an OTLP/JSON KeyValue array, or NULL when absent. */
function attributeText(attributes: RawBuilder<unknown>, key: string): RawBuilder<string | null> {
  return sql<string | null>`(SELECT coalesce(a->'value'->>'stringValue', a->'value'->>'intValue', a->'value'->>'boolValue',
    a->'value'->>'doubleValue', (a->'value')::text) FROM jsonb_array_elements(${attributes}) a WHERE a->>'key' = ${key} LIMIT 1)`;
}

/**
 * The value of `key` for a series row aliased `s` joined to its resource_scopes
 * row aliased `rs`: the point attribute, else the resource attribute, else NULL.
 */
export function seriesAttribute(key: string): RawBuilder<string | null> {
  return sql<string | null>`coalesce(${attributeText(sql`s.attributes`, key)}, ${attributeText(sql`rs.resource->'attributes'`, key)})`;
}
