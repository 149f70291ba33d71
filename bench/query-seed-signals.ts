// Seeds the query benchmark's log records and metric points straight in SQL
// (generate_series), over the same days as the spans: application logs of
// the five services, and the host and HTTP metrics an OpenTelemetry SDK and
// the Collector's hostmetrics receiver send (a CPU utilisation gauge per
// host, cpu and state; a cumulative request counter per host, route and
// status). Each day is one statement per table.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../backend/src/db/database.ts';
import { ensurePartitions } from '../backend/src/db/partitions.ts';
import { services, type SeedPlan } from './query-seed.ts';

export const hosts = 20;
export const routes = ['/api/items/{id}', '/api/cart', '/api/checkout', '/api/search', '/healthz'] as const;
// Per host: 4 cpus × 3 states of the gauge, 5 routes × 2 statuses of the counter.
const seriesPerHost = 4 * 3 + routes.length * 2;

function days(plan: SeedPlan): { day: number; startMs: number; lengthMs: number }[] {
  return Array.from({ length: plan.days }, (_, day) => {
    const startMs = plan.firstDayMs + day * 86_400_000;
    return { day, startMs, lengthMs: Math.min(86_400_000, plan.endMs - startMs) };
  });
}

export async function seedLogs(db: Kysely<Database>, plan: SeedPlan, total: number, log: (line: string) => void): Promise<void> {
  await ensurePartitions(db, 'logs', new Date(plan.firstDayMs), new Date(plan.endMs + 86_400_000));
  const perDay = Math.ceil(total / plan.days);
  const serviceList = sql.raw(services.map((s) => `'${s}'`).join(','));
  for (const { day, startMs, lengthMs } of days(plan)) {
    const started = performance.now();
    await sql`
      WITH r AS (
        SELECT g, (${startMs}::bigint * 1000000 + ((g::float8 / ${perDay}::int) * ${lengthMs}::float8 * 1000000)::bigint) AS t,
               (g % 5) AS service, CASE WHEN g % 40 = 0 THEN 17 WHEN g % 10 = 0 THEN 13 ELSE 9 END AS severity,
               'GET /api/items/' || g || ' completed with status ' || CASE WHEN g % 40 = 0 THEN 500 ELSE 200 END ||
               ' in ' || (g % 97 + 3) || ' ms for user u-' || (g % 5000) AS message
        FROM generate_series(1, ${perDay}::int) g)
      INSERT INTO logs (site_id, time, time_ns, time_unix_nano, observed_time_unix_nano, severity_number, severity_text, body,
                        attributes, dropped_attributes_count, flags, trace_id, span_id, event_name, service_name,
                        resource_scope_id, search_text)
      SELECT ${plan.siteId}::bigint, to_timestamp(t / 1e9), t, t, t, severity,
             CASE severity WHEN 17 THEN 'ERROR' WHEN 13 THEN 'WARN' ELSE 'INFO' END,
             jsonb_build_object('stringValue', message),
             jsonb_build_array(
               jsonb_build_object('key', 'http.request.method', 'value', jsonb_build_object('stringValue', 'GET')),
               jsonb_build_object('key', 'http.route', 'value', jsonb_build_object('stringValue', '/api/items/{id}'))),
             0, 1, decode(md5('lt' || ${day}::int || ':' || g), 'hex'), decode(substr(md5('ls' || ${day}::int || ':' || g), 1, 16), 'hex'), '',
             (ARRAY[${serviceList}])[service + 1], decode(md5('rs' || (ARRAY[${serviceList}])[service + 1]), 'hex'),
             lower(message) || E'\nget\n/api/items/{id}'
      FROM r`.execute(db);
    log(`  logs day ${day + 1}/${plan.days}: ${perDay} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

export async function seedMetrics(db: Kysely<Database>, plan: SeedPlan, total: number, log: (line: string) => void): Promise<void> {
  const from = new Date(plan.firstDayMs);
  const to = new Date(plan.endMs + 86_400_000);
  await ensurePartitions(db, 'metric_series', from, to);
  await ensurePartitions(db, 'metric_points', from, to);
  await ensurePartitions(db, 'resource_scopes', from, to);
  const series = hosts * seriesPerHost;
  // One point per series every `intervalS` seconds, so that the whole seed holds about `total` points.
  const intervalS = Math.max(1, Math.round((series * (plan.endMs - plan.firstDayMs)) / 1000 / total));
  const routeList = sql.raw(routes.map((r) => `'${r}'`).join(','));
  for (const { day, startMs, lengthMs } of days(plan)) {
    const started = performance.now();
    const dayStart = new Date(startMs);
    // The hosts' resources, and the series: ids are md5s of what they are, so every day names them the same.
    await sql`
      INSERT INTO resource_scopes (site_id, day, id, resource, resource_schema_url, scope, scope_schema_url)
      SELECT ${plan.siteId}::bigint, ${dayStart}::timestamptz, decode(md5('host-' || h), 'hex'),
             jsonb_build_object('attributes', jsonb_build_array(
               jsonb_build_object('key', 'service.name', 'value', jsonb_build_object('stringValue', 'shop-' || (h % 5))),
               jsonb_build_object('key', 'host.name', 'value', jsonb_build_object('stringValue', 'host-' || h))), 'droppedAttributesCount', 0),
             '', '{"name":"hostmetrics","version":"0.120.0","attributes":[],"droppedAttributesCount":0}'::jsonb, ''
      FROM generate_series(0, ${hosts - 1}::int) h
      ON CONFLICT DO NOTHING`.execute(db);
    await sql`
      INSERT INTO metric_series (site_id, day, id, metric_name, type, unit, temporality, monotonic, description, service_name,
                                 resource_scope_id, attributes)
      SELECT ${plan.siteId}::bigint, ${dayStart}::timestamptz, decode(md5('cpu' || h || ':' || c || ':' || s), 'hex'), 'system.cpu.utilization',
             'gauge', '1', 0, false, 'CPU utilisation', 'shop-' || (h % 5), decode(md5('host-' || h), 'hex'),
             jsonb_build_array(jsonb_build_object('key', 'cpu', 'value', jsonb_build_object('stringValue', 'cpu' || c)),
                               jsonb_build_object('key', 'state', 'value', jsonb_build_object('stringValue', (ARRAY['user', 'system', 'idle'])[s + 1])))
      FROM generate_series(0, ${hosts - 1}::int) h, generate_series(0, 3) c, generate_series(0, 2) s
      UNION ALL
      SELECT ${plan.siteId}::bigint, ${dayStart}::timestamptz, decode(md5('req' || h || ':' || r || ':' || st), 'hex'), 'http.server.requests',
             'sum', '{request}', 2, true, 'HTTP requests', 'shop-' || (h % 5), decode(md5('host-' || h), 'hex'),
             jsonb_build_array(jsonb_build_object('key', 'http.route', 'value', jsonb_build_object('stringValue', (ARRAY[${routeList}])[r + 1])),
                               jsonb_build_object('key', 'http.response.status_code', 'value', jsonb_build_object('intValue', st::text)))
      FROM generate_series(0, ${hosts - 1}::int) h, generate_series(0, ${routes.length - 1}::int) r, unnest(ARRAY[200, 500]) st
      ON CONFLICT DO NOTHING`.execute(db);
    // Points: the gauge wanders between 0 and 1; the counter grows by a few requests a second since the seed's start.
    await sql`
      WITH ticks AS (
        SELECT ${startMs}::bigint * 1000000 + i::bigint * ${intervalS}::bigint * 1000000000 AS t
        FROM generate_series(0, ${Math.floor(lengthMs / 1000 / intervalS) - 1}::int) i)
      INSERT INTO metric_points (site_id, series_id, time, time_unix_nano, start_time_unix_nano, flags, double_value, int_value)
      SELECT ${plan.siteId}::bigint, decode(md5('cpu' || h || ':' || c || ':' || s), 'hex'), to_timestamp(t / 1e9), t, 0, 0,
             (0.5 + 0.4 * sin(t / 1e12 + h + c + s)) / 3, NULL
      FROM ticks, generate_series(0, ${hosts - 1}::int) h, generate_series(0, 3) c, generate_series(0, 2) s
      UNION ALL
      SELECT ${plan.siteId}::bigint, decode(md5('req' || h || ':' || r || ':' || st), 'hex'), to_timestamp(t / 1e9), t,
             ${plan.firstDayMs}::bigint * 1000000, 0, NULL,
             ((t - ${plan.firstDayMs}::bigint * 1000000) / 1000000000) * (CASE WHEN st = 200 THEN 5 - r ELSE 1 END)
      FROM ticks, generate_series(0, ${hosts - 1}::int) h, generate_series(0, ${routes.length - 1}::int) r, unnest(ARRAY[200, 500]) st`.execute(db);
    log(`  metrics day ${day + 1}/${plan.days}: ${series} series every ${intervalS} s in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
