import { sql, type Kysely, type SqlBool } from 'kysely';
import { bytesToHex, traceIdFromHex } from '@justanalytics/collector/model';
import type { AnyValueJson, KeyValueJson, ResourceJson, ScopeJson } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { attributeFilter } from '../attribute-match.ts';
import { containsPattern, parseLogQuery, severityNumbers, severityTextsAtLeast, type SeverityLevel } from './log-search.ts';
import { groupByResourceScope, resourceScopeGroups } from '../resource-scope-groups.ts';
import { addDays, utcDay, type TimeRange } from '../time-range.ts';
import { InvalidCursorError, microsToIso } from '../traces/trace-cursor.ts';

// The OTLP/JSON `LogsData` message, as the API returns log records.

export interface LogRecordJson {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AnyValueJson;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
  flags: number;
  /** Absent when the record names no trace or span, as proto3 JSON omits empty fields. */
  traceId?: string;
  spanId?: string;
  eventName: string;
}

export interface ScopeLogsJson {
  scope: ScopeJson;
  schemaUrl: string;
  logRecords: LogRecordJson[];
}

export interface ResourceLogsJson {
  resource: ResourceJson;
  schemaUrl: string;
  scopeLogs: ScopeLogsJson[];
}

export interface LogsDataJson {
  resourceLogs: ResourceLogsJson[];
}

export interface LogSearch extends TimeRange {
  /** Words, "quoted phrases" and -exclusions, all required; see parseLogQuery. */
  q?: string;
  /** This level and above. */
  severity?: SeverityLevel;
  service?: string;
  /** 16 bytes. */
  traceId?: Buffer;
  /** 8 bytes. */
  spanId?: Buffer;
  /** Record or resource attributes, each KEY=VALUE as attributeCandidates matches it. */
  attributes?: Record<string, string>;
  /** Default DEFAULT_LOG_LIMIT, at most MAX_LOG_LIMIT. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface LogSearchResult {
  /** The page's records, newest first within each resource and scope. */
  logs: LogsDataJson;
  /** Null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_LOG_LIMIT = 100;
export const MAX_LOG_LIMIT = 1000;
export const DEFAULT_TRACE_LOG_LIMIT = 10_000;
/** The newest slice of a search's range; see searchLogs. */
const FIRST_SLICE_MS = 3_600_000;

/**
 * Breaks ties between records of the same nanosecond: a hash of what the
 * record holds, so the order is the same on every read (no physical row
 * address, which VACUUM FULL would change). Records identical in every field
 * (an export retried after its commit) hash alike; one that falls across a
 * page boundary is shown once.
 */
const tieBreak = sql<string>`md5(ROW(l.resource_scope_id, l.trace_id, l.span_id, l.time_unix_nano, l.observed_time_unix_nano,
  l.severity_number, l.severity_text, l.event_name, l.flags, l.dropped_attributes_count, l.body, l.attributes)::text)`;

/**
 * Log records of one site that happened in [start, end), newest first (by
 * time_ns, ties by tieBreak), grouped by resource and scope.
 *
 * Throws InvalidCursorError for a cursor this function did not make, and
 * TooManySearchTermsError for a q of too many terms.
 */
export async function searchLogs(db: Kysely<Database>, siteId: string, search: LogSearch): Promise<LogSearchResult> {
  const wanted = search.limit !== undefined && Number.isFinite(search.limit) ? Math.trunc(search.limit) : DEFAULT_LOG_LIMIT;
  const limit = Math.min(Math.max(wanted, 1), MAX_LOG_LIMIT);
  const cursor = search.cursor === undefined ? null : decodeLogCursor(search.cursor);
  const text = parseLogQuery(search.q ?? '');

  // Every filter but the time range, which each slice below sets.
  let query = selectRecords(db)
    .where('l.site_id', '=', siteId)
    .select(tieBreak.as('tie'))
    .orderBy('l.time', 'desc')
    .orderBy('l.time_ns', 'desc')
    .orderBy('tie', 'desc');
  if (cursor !== null) {
    // time is time_ns cut to the microsecond: the bound lets the index and partition pruning start at the cursor.
    query = query
      .where('l.time', '<=', sql<Date>`${microsToIso(cursor.timeNs / 1000n)}::timestamptz`)
      .where((eb) =>
        eb.or([
          eb('l.time_ns', '<', cursor.timeNs.toString()),
          eb.and([eb('l.time_ns', '=', cursor.timeNs.toString()), eb(tieBreak, '<', cursor.tie)]),
        ]),
      );
  }
  if (search.service !== undefined) query = query.where('l.service_name', '=', search.service);
  if (search.traceId !== undefined) query = query.where('l.trace_id', '=', search.traceId);
  if (search.spanId !== undefined) query = query.where('l.span_id', '=', search.spanId);
  if (search.severity !== undefined) {
    const number = severityNumbers[search.severity];
    const texts = severityTextsAtLeast(search.severity);
    // COLLATE "C" lowers ASCII only, on every database: the spellings are ASCII, and no other letter may fold into one.
    query = query.where((eb) =>
      eb.or([
        eb('l.severity_number', '>=', number),
        eb.and([eb('l.severity_number', '=', 0), sql<SqlBool>`lower(l.severity_text COLLATE "C") = ANY(${texts}::text[])`]),
      ]),
    );
  }
  for (const term of text.include) query = query.where(sql<SqlBool>`l.search_text LIKE ${containsPattern(term)} ESCAPE '\\'`);
  for (const term of text.exclude) query = query.where(sql<SqlBool>`l.search_text NOT LIKE ${containsPattern(term)} ESCAPE '\\'`);
  for (const [key, value] of Object.entries(search.attributes ?? {})) {
    query = query.where(attributeFilter('l', key, value, utcDay(search.start), addDays(utcDay(search.end), 1)));
  }

  // Newest first, in slices of the range: the last hour, then each slice
  // twice as long as the one before, until the page is full. One statement
  // over a day let the planner take the trigram index for a term in 0.2 % of
  // the records, whose matches lie all over the day: it read 3,200 pages to
  // keep 101 (523 ms p95 from a cold cache at 1M records, 86 ms in slices),
  // where the newest hours hold the page. Slices sized by the rate found so
  // far, fewer and longer, measured 293 ms.
  const top = cursor === null ? search.end : new Date(Math.min(search.end.getTime(), Number(cursor.timeNs / 1_000_000n) + 1));
  const rows = [];
  for (let to = top, length = FIRST_SLICE_MS; to > search.start && rows.length <= limit; length *= 2) {
    const from = new Date(Math.max(search.start.getTime(), to.getTime() - length));
    rows.push(...(await query.where('l.time', '>=', from).where('l.time', '<', to).limit(limit + 1 - rows.length).execute()));
    to = from;
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    logs: await logsData(db, siteId, page),
    nextCursor: rows.length > limit && last !== undefined ? encodeLogCursor({ timeNs: BigInt(last.time_ns), tie: last.tie }) : null,
  };
}

export interface TraceLogsView {
  logs: LogsDataJson;
  /** Records stored for the trace. */
  recordCount: number;
  /** Records in `logs`: all of them, or the earliest `limit`. */
  returnedRecordCount: number;
}

export interface GetTraceLogsOptions {
  /** Most records returned, the earliest. Default DEFAULT_TRACE_LOG_LIMIT. */
  limit?: number;
}

/**
 * The log records of one trace of one site, oldest first (by time_ns, ties by
 * tieBreak), grouped by resource and scope: all of them, or the earliest
 * `limit`. A trace without records (or of another site) has an empty answer.
 */
export async function getTraceLogs(
  db: Kysely<Database>,
  siteId: string,
  traceIdHex: string,
  options: GetTraceLogsOptions = {},
): Promise<TraceLogsView> {
  const limit = options.limit ?? DEFAULT_TRACE_LOG_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const traceId = traceIdFromHex(traceIdHex);
  if (traceId === null) return { logs: { resourceLogs: [] }, recordCount: 0, returnedRecordCount: 0 };

  // The records' days are not known beforehand (a record may be logged long
  // after its spans), so every partition's trace index is probed.
  const counted = await db
    .selectFrom('logs')
    .where('site_id', '=', siteId)
    .where('trace_id', '=', traceId)
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirst();
  const recordCount = Number(counted?.count ?? 0);
  if (recordCount === 0) return { logs: { resourceLogs: [] }, recordCount: 0, returnedRecordCount: 0 };

  const rows = await selectRecords(db)
    .where('l.site_id', '=', siteId)
    .where('l.trace_id', '=', traceId)
    .orderBy('l.time', 'asc')
    .orderBy('l.time_ns', 'asc')
    .orderBy(tieBreak, 'asc')
    .limit(limit)
    .execute();
  return { logs: await logsData(db, siteId, rows), recordCount, returnedRecordCount: rows.length };
}

function selectRecords(db: Kysely<Database>) {
  return db
    .selectFrom('logs as l')
    .select([
      'l.time',
      'l.time_ns',
      'l.time_unix_nano',
      'l.observed_time_unix_nano',
      'l.severity_number',
      'l.severity_text',
      'l.body',
      'l.attributes',
      'l.dropped_attributes_count',
      'l.flags',
      'l.trace_id',
      'l.span_id',
      'l.event_name',
      'l.resource_scope_id',
    ]);
}

interface StoredRecord {
  time: Date;
  time_unix_nano: string;
  observed_time_unix_nano: string;
  severity_number: number;
  severity_text: string;
  body: AnyValueJson;
  attributes: KeyValueJson[];
  dropped_attributes_count: string;
  flags: string;
  trace_id: Buffer | null;
  span_id: Buffer | null;
  event_name: string;
  resource_scope_id: Buffer;
}

/** Records, in the order given, nested by resource and scope. */
async function logsData(db: Kysely<Database>, siteId: string, rows: readonly StoredRecord[]): Promise<LogsDataJson> {
  if (rows.length === 0) return { resourceLogs: [] };
  const times = rows.map((row) => row.time.getTime());
  // A record's resource_scopes row is on its own day; a day of slack either side costs little.
  const range = { from: addDays(new Date(Math.min(...times)), -1), to: addDays(utcDay(new Date(Math.max(...times))), 2) };
  const groups = await resourceScopeGroups(db, siteId, rows.map((row) => row.resource_scope_id), range);
  return {
    resourceLogs: groupByResourceScope(rows, (row) => row.resource_scope_id, groups).map((resource) => ({
      resource: resource.resource,
      schemaUrl: resource.schemaUrl,
      scopeLogs: resource.scopes.map((scope) => ({ scope: scope.scope, schemaUrl: scope.schemaUrl, logRecords: scope.items.map(logRecordJson) })),
    })),
  };
}

function logRecordJson(row: StoredRecord): LogRecordJson {
  const record: LogRecordJson = {
    timeUnixNano: row.time_unix_nano,
    observedTimeUnixNano: row.observed_time_unix_nano,
    severityNumber: row.severity_number,
    severityText: row.severity_text,
    body: row.body,
    attributes: row.attributes,
    droppedAttributesCount: Number(row.dropped_attributes_count), // uint32
    flags: Number(row.flags), // fixed32: a JSON number
    eventName: row.event_name,
  };
  if (row.trace_id !== null && row.trace_id.length > 0) record.traceId = bytesToHex(row.trace_id);
  if (row.span_id !== null && row.span_id.length > 0) record.spanId = bytesToHex(row.span_id);
  return record;
}

// The keyset cursor: the last record of a page, as (time_ns, tie-break hash).
interface LogCursor {
  timeNs: bigint;
  tie: string;
}

const CURSOR = /^(\d{1,19})\.([0-9a-f]{32})$/;

function encodeLogCursor(cursor: LogCursor): string {
  return Buffer.from(`${cursor.timeNs}.${cursor.tie}`).toString('base64url');
}

function decodeLogCursor(text: string): LogCursor {
  const match = CURSOR.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (match === null || match[1] === undefined || match[2] === undefined) throw new InvalidCursorError();
  const timeNs = BigInt(match[1]);
  if (timeNs >= 2n ** 63n) throw new InvalidCursorError();
  return { timeNs, tie: match[2] };
}
