// Seeds the query benchmark's spans straight in SQL (generate_series), the
// shape the performance issue names: traces of one HTTP server span and three
// PostgreSQL client spans, five services, 5–9 attributes a span, spread evenly
// over the last `days` UTC days ending now. Trace and span IDs are md5s of
// (day, trace number, span number), so the benchmark can name any trace again
// without reading it back. Each day is one statement per table.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../backend/src/db/database.ts';
import { ensurePartitions, partitionedTables, partitionName, utcDayNumber } from '../backend/src/db/partitions.ts';

export const services = ['frontend', 'checkout', 'cart', 'payments', 'inventory'] as const;
export const spansPerTrace = 4;
/** How many distinct customer.id values the server spans carry. */
export const customers = 100_000;

export interface SeedPlan {
  siteId: string;
  days: number;
  tracesPerDay: number;
  /** Midnight UTC of the first seeded day, in ms; the last day ends at `endMs`. */
  firstDayMs: number;
  endMs: number;
}

export function seedPlan(siteId: string, totalSpans: number, days: number, now = Date.now()): SeedPlan {
  const dayMs = 86_400_000;
  const firstDayMs = Math.floor(now / dayMs) * dayMs - (days - 1) * dayMs;
  return { siteId, days, tracesPerDay: Math.ceil(totalSpans / spansPerTrace / days), firstDayMs, endMs: now };
}

/** The 16-byte trace ID of trace `trace` (1-based) of day `day` (0-based), as the seed makes it. */
export function seededTraceId(day: number, trace: number): string {
  return createHash('md5').update(`t${day}:${trace}`).digest('hex');
}

/** Where in the seeded span a trace starts: day start + its share of the day (clipped to `endMs` on the last day). */
function dayWindow(plan: SeedPlan, day: number): { startMs: number; lengthMs: number } {
  const startMs = plan.firstDayMs + day * 86_400_000;
  return { startMs, lengthMs: Math.min(86_400_000, plan.endMs - startMs) };
}

export async function seedSpans(db: Kysely<Database>, plan: SeedPlan, log: (line: string) => void): Promise<void> {
  for (const table of partitionedTables) {
    await ensurePartitions(db, table, new Date(plan.firstDayMs), new Date(plan.endMs + 86_400_000));
  }
  await sql`SET synchronous_commit = off`.execute(db);
  for (let day = 0; day < plan.days; day++) {
    const started = performance.now();
    const { startMs, lengthMs } = dayWindow(plan, day);
    await seedResourceScopes(db, plan.siteId, startMs);
    await sql`
      WITH traces AS (
        SELECT g,
               decode(md5('t' || ${day}::int || ':' || g), 'hex') AS trace_id,
               decode(substr(md5('s' || ${day}::int || ':' || g || ':0'), 1, 16), 'hex') AS root_id,
               (g % 5) AS service,
               (g % 10) AS route,
               -- trace start in ns: the day's start + g's share of the day
               (${startMs}::bigint * 1000000 + ((g::float8 / ${plan.tracesPerDay}::int) * ${lengthMs}::float8 * 1000000)::bigint) AS t0,
               -- log-uniform server duration between 5 ms and 2 s
               exp(ln(5e6) + random() * ln(400))::bigint AS duration,
               random() < 0.01 AS failed
        FROM generate_series(1, ${plan.tracesPerDay}::int) g
      ), spans_of AS (
        SELECT t.*, s,
               CASE WHEN s = 0 THEN t.root_id ELSE decode(substr(md5('s' || ${day}::int || ':' || g || ':' || s), 1, 16), 'hex') END AS span_id,
               CASE WHEN s = 0 THEN t0 ELSE t0 + (duration / 4) * s - (duration / 8) END AS start_ns,
               CASE WHEN s = 0 THEN duration ELSE (duration / 8) END AS span_duration
        FROM traces t CROSS JOIN generate_series(0, 3) s
      )
      INSERT INTO spans (site_id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind, start_time,
                         start_time_unix_nano, end_time_unix_nano, duration_ns, service_name, status_code, status_message,
                         http_route, http_status_code, attributes, dropped_attributes_count, events, dropped_events_count,
                         links, dropped_links_count, resource_scope_id)
      SELECT ${plan.siteId}::bigint, trace_id, span_id, CASE WHEN s = 0 THEN NULL ELSE root_id END, '', 1,
             CASE WHEN s = 0 THEN 'GET /api/' || (ARRAY[${sql.raw(services.map((s) => `'${s}'`).join(','))}])[service + 1] || '/{id}/' || route
                  ELSE (ARRAY['SELECT', 'UPDATE', 'INSERT'])[s] || ' orders' END,
             CASE WHEN s = 0 THEN 2 ELSE 3 END,
             to_timestamp(start_ns / 1e9), start_ns, start_ns + span_duration, span_duration,
             (ARRAY[${sql.raw(services.map((s) => `'${s}'`).join(','))}])[service + 1],
             CASE WHEN failed AND s IN (0, 3) THEN 2 ELSE 0 END, CASE WHEN failed AND s IN (0, 3) THEN 'boom' ELSE '' END,
             CASE WHEN s = 0 THEN '/api/{id}/' || route END,
             CASE WHEN s = 0 THEN CASE WHEN failed THEN 500 ELSE 200 END END,
             CASE WHEN s = 0 THEN jsonb_build_array(
               jsonb_build_object('key', 'http.request.method', 'value', jsonb_build_object('stringValue', 'GET')),
               jsonb_build_object('key', 'http.route', 'value', jsonb_build_object('stringValue', '/api/{id}/' || route)),
               jsonb_build_object('key', 'http.response.status_code', 'value', jsonb_build_object('intValue', CASE WHEN failed THEN '500' ELSE '200' END)),
               jsonb_build_object('key', 'url.path', 'value', jsonb_build_object('stringValue', '/api/' || g || '/' || route)),
               jsonb_build_object('key', 'server.address', 'value', jsonb_build_object('stringValue', 'shop.example.com')),
               jsonb_build_object('key', 'user_agent.original', 'value', jsonb_build_object('stringValue', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0')),
               jsonb_build_object('key', 'customer.id', 'value', jsonb_build_object('stringValue', 'cust-' || (g % ${customers}::int))))
             ELSE jsonb_build_array(
               jsonb_build_object('key', 'db.system.name', 'value', jsonb_build_object('stringValue', 'postgresql')),
               jsonb_build_object('key', 'db.namespace', 'value', jsonb_build_object('stringValue', 'shop')),
               jsonb_build_object('key', 'db.operation.name', 'value', jsonb_build_object('stringValue', (ARRAY['SELECT', 'UPDATE', 'INSERT'])[s])),
               jsonb_build_object('key', 'db.collection.name', 'value', jsonb_build_object('stringValue', 'orders')),
               jsonb_build_object('key', 'db.query.text', 'value', jsonb_build_object('stringValue', 'SELECT * FROM orders WHERE id = $1')),
               jsonb_build_object('key', 'server.address', 'value', jsonb_build_object('stringValue', 'db.internal')),
               jsonb_build_object('key', 'server.port', 'value', jsonb_build_object('intValue', '5432')))
             END,
             0, '[]'::jsonb, 0, '[]'::jsonb, 0,
             decode(md5('rs' || (ARRAY[${sql.raw(services.map((s) => `'${s}'`).join(','))}])[service + 1]), 'hex')
      FROM spans_of`.execute(db);
    // Statistics first: on a fresh partition the planner takes the day's spans for a handful and joins the
    // summaries to the attribute hashes in a nested loop, quadratic in the day's traces (125 s for 7,143).
    await sql`ANALYZE ${sql.table(partitionName('spans', utcDayNumber(new Date(startMs))))}`.execute(db);
    await sql`
      WITH hashes AS (${traceAttributeHashes(plan.siteId, startMs)}),
      summaries AS (
        SELECT site_id, trace_id, min(start_time) AS start_time, min(start_time_unix_nano) AS start_ns, max(end_time_unix_nano) AS end_ns,
               count(*) AS span_count, count(*) FILTER (WHERE status_code = 2) AS error_count,
               min(service_name) FILTER (WHERE parent_span_id IS NULL) AS root_service_name,
               min(name) FILTER (WHERE parent_span_id IS NULL) AS root_span_name
        FROM spans
        WHERE site_id = ${plan.siteId}::bigint AND start_time >= ${new Date(startMs)} AND start_time < ${new Date(startMs + 86_400_000)}
        GROUP BY site_id, trace_id)
      INSERT INTO trace_summaries (site_id, trace_id, day, start_time, start_time_unix_nano, end_time_unix_nano,
                                   span_count, error_count, root_service_name, root_span_name, attribute_hashes)
      SELECT s.site_id, s.trace_id, ${new Date(startMs)}::timestamptz, s.start_time, s.start_ns, s.end_ns,
             s.span_count, s.error_count, s.root_service_name, s.root_span_name, coalesce(h.hashes, '{}')
      FROM summaries s LEFT JOIN hashes h ON h.trace_id = s.trace_id`.execute(db);
    log(`  day ${day + 1}/${plan.days}: ${plan.tracesPerDay * spansPerTrace} spans in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  await sql`ANALYZE`.execute(db);
}

/**
 * Per trace of one seeded day, the hashes the span writer keeps in
 * trace_summaries.attribute_hashes (store/traces/trace-attribute-hashes.ts):
 * `key=value` of every scalar span attribute and of the resource's one
 * attribute, service.name, hashed by the database's hashtextextended, which
 * db/text-hash.ts computes the same. (The seed has no doubles, whose text
 * the application spells as JavaScript prints them.)
 */
export function traceAttributeHashes(siteId: string, dayMs: number) {
  return sql`
    SELECT sp.trace_id, array_agg(DISTINCT hashtextextended(a.key || '=' || a.text, 0)) AS hashes
    FROM spans sp
    CROSS JOIN LATERAL (
      SELECT e->>'key' AS key, coalesce(e->'value'->>'stringValue', e->'value'->>'intValue', e->'value'->>'boolValue') AS text
      FROM jsonb_array_elements(sp.attributes) e
      UNION ALL SELECT 'service.name', sp.service_name) a
    WHERE sp.site_id = ${siteId}::bigint AND sp.start_time >= ${new Date(dayMs)} AND sp.start_time < ${new Date(dayMs + 86_400_000)}
      AND a.text IS NOT NULL
    GROUP BY sp.trace_id`;
}

/** The resource and scope of each service on one day, with the id the seeded spans use. */
async function seedResourceScopes(db: Kysely<Database>, siteId: string, dayMs: number): Promise<void> {
  for (const service of services) {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: service } }], droppedAttributesCount: 0 };
    const scope = { name: '@opentelemetry/instrumentation-http', version: '0.201.0', attributes: [], droppedAttributesCount: 0 };
    await sql`
      INSERT INTO resource_scopes (site_id, day, id, resource, resource_schema_url, scope, scope_schema_url)
      VALUES (${siteId}::bigint, ${new Date(dayMs)}, decode(md5(${'rs' + service}), 'hex'), ${JSON.stringify(resource)}::jsonb, '',
              ${JSON.stringify(scope)}::jsonb, '')
      ON CONFLICT DO NOTHING`.execute(db);
  }
}
