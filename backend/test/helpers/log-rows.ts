// Log records for the query and API tests (not a test file itself), written
// with plain SQL so the query tests do not depend on the store's log writer.
import type { LogRow } from '@justanalytics/collector';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { dayOfNanos, dayStart } from '../../src/db/days.ts';
import { nanosToTimestamp, storableJson } from '../../src/db/copy-text.ts';
import { ensurePartitionDays } from '../../src/db/partitions.ts';
import { logSearchText } from '../../src/store/logs/log-writer.ts';
import { resourceScopeId } from '../../src/store/resource-scopes.ts';
import type { LogRecordJson, ResourceLogsJson } from '../../src/query/logs/logs.ts';
import { resourceOf } from './query-fixtures.ts';

/** A plain info record of service `checkout`; override what the test is about. */
export function logRow(siteId: string, overrides: Partial<LogRow> & { timestampUnixNano: bigint }): LogRow {
  const serviceName = overrides.serviceName ?? 'checkout';
  return {
    siteId,
    timeUnixNano: overrides.timestampUnixNano,
    observedTimeUnixNano: overrides.timestampUnixNano + 1_000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: 'hello' },
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    serviceName,
    exception: null,
    resource: resourceOf(serviceName),
    resourceSchemaUrl: '',
    scope: { name: 'test-logger', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: '',
    ...overrides,
  };
}

/** Inserts records (and their resource_scopes rows) as the store would, making the partitions they need. */
export async function insertLogRows(db: Kysely<Database>, rows: readonly LogRow[], chunk = 1000): Promise<void> {
  const days = [...new Set(rows.map((row) => dayOfNanos(row.timestampUnixNano)))];
  await ensurePartitionDays(db, 'logs', days);
  await ensurePartitionDays(db, 'resource_scopes', days);
  const pairs = new Map<string, RawBuilder<unknown>>();
  const ids = rows.map((row) => resourceScopeId(row.resource, row.resourceSchemaUrl, row.scope, row.scopeSchemaUrl));
  rows.forEach((row, i) => {
    const id = ids[i] as Buffer;
    const day = dayStart(dayOfNanos(row.timestampUnixNano)).toISOString();
    pairs.set(`${row.siteId}/${id.toString('hex')}/${day}`, sql`(${row.siteId}::bigint, ${day}::timestamptz, ${id}::bytea,
      ${storableJson(row.resource)}::jsonb, ${row.resourceSchemaUrl}, ${storableJson(row.scope)}::jsonb, ${row.scopeSchemaUrl})`);
  });
  await sql`INSERT INTO resource_scopes (site_id, day, id, resource, resource_schema_url, scope, scope_schema_url)
    VALUES ${sql.join([...pairs.values()])} ON CONFLICT DO NOTHING`.execute(db);
  for (let from = 0; from < rows.length; from += chunk) {
    const values = rows.slice(from, from + chunk).map(
      (row, i) => sql`(${row.siteId}::bigint, ${nanosToTimestamp(row.timestampUnixNano)}::timestamptz, ${row.timestampUnixNano.toString()}::bigint,
        ${row.timeUnixNano.toString()}::bigint, ${row.observedTimeUnixNano.toString()}::bigint, ${row.severityNumber}::smallint,
        ${row.severityText}, ${storableJson(row.body ?? {})}::jsonb, ${storableJson(row.attributes)}::jsonb,
        ${row.droppedAttributesCount}::bigint, ${row.flags}::bigint, ${row.traceId}::bytea, ${row.spanId}::bytea, ${row.eventName},
        ${row.serviceName}, ${ids[from + i] as Buffer}::bytea, ${logSearchText(row.body, row.attributes)})`,
    );
    await sql`INSERT INTO logs (site_id, time, time_ns, time_unix_nano, observed_time_unix_nano, severity_number, severity_text,
      body, attributes, dropped_attributes_count, flags, trace_id, span_id, event_name, service_name, resource_scope_id, search_text)
      VALUES ${sql.join(values)}`.execute(db);
  }
}

/** Every record of a LogsData answer, in order, with its service.name resource attribute and scope name. */
export function recordsOf(logs: { resourceLogs: ResourceLogsJson[] }): Array<LogRecordJson & { service: string; scopeName: string }> {
  return logs.resourceLogs.flatMap((resource) => {
    const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value;
    return resource.scopeLogs.flatMap((scope) =>
      scope.logRecords.map((record) => ({
        ...record,
        service: service !== undefined && 'stringValue' in service ? service.stringValue : '',
        scopeName: scope.scope.name,
      })),
    );
  });
}

/** The OTLP/JSON record a row must come back as, written independently of the code under test. */
export function logRecordJson(row: LogRow): LogRecordJson {
  const record: LogRecordJson = {
    timeUnixNano: row.timeUnixNano.toString(),
    observedTimeUnixNano: row.observedTimeUnixNano.toString(),
    severityNumber: row.severityNumber,
    severityText: row.severityText,
    body: row.body ?? {},
    attributes: row.attributes,
    droppedAttributesCount: row.droppedAttributesCount,
    flags: row.flags,
    eventName: row.eventName,
  };
  if (row.traceId !== null) record.traceId = row.traceId.toString('hex');
  if (row.spanId !== null) record.spanId = row.spanId.toString('hex');
  return record;
}
