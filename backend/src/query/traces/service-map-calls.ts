import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { CACHE_SYSTEMS, peerAttributeKeys, peerRules, URL_HOST_PATTERN } from './service-map-peers.ts';

// The calls of the service map, as SQL common table expressions over stored
// spans: the one definition that both the live query (service-map-live.ts)
// and the edge rollup job (jobs/service-edges.ts) aggregate. Joined on what is
// stored, so a trace's spans may arrive in any order and in any exports.

export type ConnectionType = 'http' | 'rpc' | 'messaging' | 'database';
export type NodeType = 'service' | 'database' | 'cache' | 'queue' | 'external';

/**
 * How far outside a range the caller or callee of a call counted in the range
 * is looked for: a client span starts before its server span, and a consumer
 * may take a message from a queue minutes after it was produced. A consumer
 * later than this leaves its producer unmatched (an edge to the virtual queue
 * node), never a wrong service edge.
 */
export const SERVICE_MAP_SLACK_MS = 5 * 60_000;

/** How far a callee is looked for before its caller, or a caller after its callee: clocks of two hosts disagree. */
export const SERVICE_MAP_SKEW_MS = 60_000;

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;
const STATUS_ERROR = 2;

/**
 * The planner settings every statement over callsCte runs with (SET LOCAL: in
 * the caller's transaction). JIT off: the cost estimates of the jsonb
 * functions and CTEs make PostgreSQL JIT-compile, which took longer than the
 * query (2 s of compiling for 0.1 s). Merge and nested-loop joins off: the
 * planner estimates `call` at a handful of rows (three equalities taken as
 * independent), so it anti-joined the unmatched callers to it by a merge on
 * site_id alone with the IDs as a join filter, quadratic in the range's calls:
 * the edge rollup's statement over 15 minutes of 15,000 spans/s ran over 25
 * minutes on one core. Hash joins are right at every size here; the LATERAL
 * reads of attributes stay nested loops, the only plan they have.
 */
export async function setCallsPlanner(trx: Kysely<Database>): Promise<void> {
  await sql`SET LOCAL jit = off`.execute(trx);
  await sql`SET LOCAL enable_mergejoin = off`.execute(trx);
  await sql`SET LOCAL enable_nestloop = off`.execute(trx);
}

/**
 * `WITH … calls AS (…)`, to be followed by a SELECT over `calls`: one row per
 * call that started in `range`, of `siteId` (or of every site, for the
 * rollup job), with columns site_id, source, target, target_type, connection,
 * start_time (the callee's, or the client's for a virtual target),
 * duration_ns (likewise) and failed.
 *
 * A call is a server or consumer span whose parent (or, for a consumer, a
 * linked span) is a client or producer span of another service; a client or
 * producer span with no such callee is a call to the virtual node its
 * attributes name (peerRules), or is left out when they name nothing. Stored
 * duplicates (an exporter's retry) are one call.
 *
 * Cost: two scans of the range's spans (widened by the slack and skew) that keep only
 * edge-making kinds and no jsonb but a consumer's links, a hash or merge join
 * on (trace_id, span_id), and attributes read only for the client and producer
 * spans that no service answered.
 */
export function callsCte(siteId: string | null, range: TimeRange): RawBuilder<unknown> {
  // Callees of the range's callers, and callers of its callees: each side widened only where the other may lie.
  const callees = { start: new Date(range.start.getTime() - SERVICE_MAP_SKEW_MS), end: new Date(range.end.getTime() + SERVICE_MAP_SLACK_MS) };
  const callers = { start: new Date(range.start.getTime() - SERVICE_MAP_SLACK_MS), end: new Date(range.end.getTime() + SERVICE_MAP_SKEW_MS) };
  const ofSite = (alias: string) => (siteId === null ? sql`` : sql`${sql.ref(`${alias}.site_id`)} = ${siteId} AND`);
  return sql`
    WITH callee AS MATERIALIZED (
      SELECT s.site_id, s.trace_id, s.span_id, s.parent_span_id, s.service_name, s.kind, s.duration_ns, s.status_code, s.start_time,
        CASE WHEN s.kind = ${SPAN_KIND_CONSUMER} AND s.links <> '[]'::jsonb THEN s.links END AS links,
        s.kind = ${SPAN_KIND_SERVER} AND s.attributes @> '[{"key":"rpc.system"}]' AS rpc
      FROM spans s
      WHERE ${ofSite('s')} s.kind IN (${SPAN_KIND_SERVER}, ${SPAN_KIND_CONSUMER})
        AND s.start_time >= ${callees.start} AND s.start_time < ${callees.end}
    ), caller AS MATERIALIZED (
      SELECT s.site_id, s.trace_id, s.span_id, s.service_name, s.kind, s.status_code
      FROM spans s
      WHERE ${ofSite('s')} s.kind IN (${SPAN_KIND_CLIENT}, ${SPAN_KIND_PRODUCER})
        AND s.start_time >= ${callers.start} AND s.start_time < ${callers.end}
    ), link AS (
      SELECT c.*, decode(l.value ->> 'traceId', 'hex') AS linked_trace_id, decode(l.value ->> 'spanId', 'hex') AS linked_span_id
      FROM callee c CROSS JOIN LATERAL jsonb_array_elements(c.links) l
      WHERE c.links IS NOT NULL AND l.value ->> 'traceId' ~ '^[0-9a-f]{32}$' AND l.value ->> 'spanId' ~ '^[0-9a-f]{16}$'
    ), call AS (
      -- UNION, not UNION ALL: a duplicate stored span, or a consumer that both
      -- is a child of its producer and links to it, is one call.
      SELECT p.site_id, p.trace_id AS caller_trace_id, p.span_id AS caller_span_id, p.service_name AS source, p.kind AS caller_kind,
        p.status_code AS caller_status, c.trace_id, c.span_id, c.service_name AS target, c.kind, c.rpc,
        c.duration_ns, c.status_code, c.start_time
      FROM callee c JOIN caller p ON p.site_id = c.site_id AND p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
      WHERE p.service_name <> c.service_name
      UNION
      SELECT p.site_id, p.trace_id, p.span_id, p.service_name, p.kind, p.status_code, k.trace_id, k.span_id, k.service_name, k.kind, k.rpc,
        k.duration_ns, k.status_code, k.start_time
      FROM link k JOIN caller p ON p.site_id = k.site_id AND p.trace_id = k.linked_trace_id AND p.span_id = k.linked_span_id
      WHERE p.kind = ${SPAN_KIND_PRODUCER} AND p.service_name <> k.service_name
    ), unmatched AS (
      -- Attributes are read only here, for the client and producer spans that no service answered
      -- (OFFSET 0 keeps the anti-join below the extraction), once each (LATERAL, so that the planner
      -- cannot inline the extraction into every use of it).
      SELECT u.site_id, u.trace_id, u.span_id, u.service_name, u.kind, u.duration_ns, u.status_code, u.start_time,
        u.attributes @> '[{"key":"rpc.system"}]' AS rpc, ${peerRuleIndex(sql.ref('v.peer'))} AS rule, ${peerName(sql.ref('v.peer'))} AS name
      FROM (
        SELECT s.site_id, s.trace_id, s.span_id, s.service_name, s.kind, s.duration_ns, s.status_code, s.start_time, s.attributes
        FROM spans s
        WHERE ${ofSite('s')} s.kind IN (${SPAN_KIND_CLIENT}, ${SPAN_KIND_PRODUCER})
          AND s.start_time >= ${range.start} AND s.start_time < ${range.end}
          AND NOT EXISTS (
            SELECT 1 FROM call WHERE call.site_id = s.site_id AND call.caller_trace_id = s.trace_id AND call.caller_span_id = s.span_id)
        OFFSET 0
      ) u CROSS JOIN LATERAL ${peerValues(sql.ref('u.attributes'))} v
    ), virtual AS (
      -- One row per span ID: a duplicate stored span is one call (hashed on three columns, not sorted on all).
      SELECT site_id, min(service_name) AS service_name, min(kind) AS kind, bool_or(rpc) AS rpc, min(duration_ns) AS duration_ns,
        min(status_code) AS status_code, min(start_time) AS start_time, min(rule) AS rule, min(name) AS name
      FROM unmatched
      WHERE name IS NOT NULL
      GROUP BY site_id, trace_id, span_id
    ), calls AS MATERIALIZED (
      SELECT site_id, source, target, 'service' AS target_type,
        CASE WHEN kind = ${SPAN_KIND_CONSUMER} OR caller_kind = ${SPAN_KIND_PRODUCER} THEN 'messaging' WHEN rpc THEN 'rpc' ELSE 'http' END AS connection,
        start_time, duration_ns, status_code = ${STATUS_ERROR} OR caller_status = ${STATUS_ERROR} AS failed
      FROM call
      WHERE start_time >= ${range.start} AND start_time < ${range.end}
      UNION ALL
      SELECT site_id, service_name, name, ${targetType(sql.ref('rule'), sql.ref('name'))},
        CASE WHEN rule = ${ruleIndexOf('database')} THEN 'database' WHEN rule = ${ruleIndexOf('queue')} OR kind = ${SPAN_KIND_PRODUCER} THEN 'messaging'
          WHEN rpc THEN 'rpc' ELSE 'http' END,
        start_time, duration_ns, status_code = ${STATUS_ERROR}
      FROM virtual
    )`;
}

function ruleIndexOf(type: 'database' | 'queue'): number {
  return peerRules.findIndex((rule) => rule.type === type);
}

/** The string values of the attributes peerRules reads, as one jsonb object: one pass over a span's attributes. */
function peerValues(attributes: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(
    SELECT jsonb_object_agg(a.value ->> 'key', a.value -> 'value' ->> 'stringValue') AS peer
    FROM jsonb_array_elements(${attributes}) a
    WHERE a.value ->> 'key' IN (${sql.join(peerAttributeKeys.map((key) => sql.lit(key)))})
      AND jsonb_typeof(a.value -> 'value' -> 'stringValue') = 'string')`;
}

/** Per rule, its keys' values in order as peerFromValues reads them: a URL's host, hosts lowercased, '' as absent. */
function ruleValues(peer: RawBuilder<unknown>): RawBuilder<unknown>[] {
  return peerRules.map((rule) => {
    const values = rule.keys.map((key) => {
      let value: RawBuilder<unknown> = sql`(${peer} ->> ${sql.lit(key)})`;
      if (rule.urlHost === true) value = sql`substring(${value} from ${sql.lit(URL_HOST_PATTERN)})`;
      if (rule.host === true) value = sql`lower(${value})`;
      return sql`nullif(${value}, '')`;
    });
    return sql`coalesce(${sql.join(values)})`;
  });
}

function peerRuleIndex(peer: RawBuilder<unknown>): RawBuilder<unknown> {
  const cases = ruleValues(peer).map((value, index) => sql`WHEN ${value} IS NOT NULL THEN ${sql.lit(index)}`);
  return sql`CASE ${sql.join(cases, sql` `)} END`;
}

function peerName(peer: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`coalesce(${sql.join(ruleValues(peer))})`;
}

/** The node type of a virtual target, as peerNodeType gives it: a database system that is a cache is `cache`. */
function targetType(rule: RawBuilder<unknown>, name: RawBuilder<unknown>): RawBuilder<unknown> {
  const cases = peerRules.map((peerRule, index) =>
    peerRule.type === 'database'
      ? sql`WHEN ${sql.lit(index)} THEN CASE WHEN ${name} IN (${sql.join(CACHE_SYSTEMS.map((system) => sql.lit(system)))}) THEN 'cache' ELSE 'database' END`
      : sql`WHEN ${sql.lit(index)} THEN ${sql.lit(peerRule.type)}`,
  );
  return sql`CASE ${rule} ${sql.join(cases, sql` `)} END`;
}

/** An edge's identity: who calls what, and how. */
export interface EdgeKey {
  source: string;
  target: string;
  /** `service` when the target sends spans; else the virtual node's type. */
  targetType: NodeType;
  connectionType: ConnectionType;
}

/** The order edges are listed in: source, target, target type, connection, by code point (not the database's collation). */
export function byEdgeKey(a: EdgeKey, b: EdgeKey): number {
  return compare(a.source, b.source) || compare(a.target, b.target) || compare(a.targetType, b.targetType) || compare(a.connectionType, b.connectionType);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
