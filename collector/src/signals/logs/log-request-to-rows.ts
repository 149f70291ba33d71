import { int64ToBigInt } from '@justanalytics/proto';
import type { IExportLogsServiceRequest, ILogRecord, IResourceLogs } from '@justanalytics/proto';
import type { KeyValueJson } from '../../model/otlp-json.ts';
import type { LogException, LogRow } from './log-row.ts';
import { addDropped, AttributeConverter } from '../../decode/any-value.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { copyBytes } from '../../decode/id-bytes.ts';
import { serviceNameOf } from '../../decode/promoted-attributes.ts';
import { Rejections } from '../../decode/rejections.ts';
import { resourceToJson, scopeToJson } from '../../decode/resource-scope.ts';
import type { ResourceScopeColumns } from '../../decode/resource-scope.ts';
import { sanitizeString } from '../../decode/sanitize-string.ts';
import { isAbsentId, logIdProblem, logTimeProblem } from './log-checks.ts';

/**
 * Turns a decoded ExportLogsServiceRequest (from protobuf or OTLP/JSON alike)
 * into log rows of one site. A record that cannot be stored is counted and
 * left out with its reason; it never fails the others. Attributes past the
 * limits are dropped into dropped_attributes_count; a value past them (too
 * many items, too deep), in the body or an attribute, rejects the records
 * that carry it, in their resource or scope too.
 *
 * `receivedAtUnixNano` orders a record that carries neither time nor
 * observed time.
 */
export function logRequestToRows(
  request: IExportLogsServiceRequest,
  siteId: string,
  receivedAtUnixNano: bigint,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): DecodedRows<LogRow> {
  const rows: LogRow[] = [];
  const rejections = new Rejections();
  const converter = new AttributeConverter(limits);

  for (const resourceLogs of request.resourceLogs) {
    const resource = resourceToJson(resourceLogs.resource, converter);
    if (resource === null) {
      rejections.add(`resource ${converter.problem}`, recordsIn(resourceLogs));
      continue;
    }
    const serviceName = serviceNameOf(resource.attributes);
    const resourceSchemaUrl = sanitizeString(resourceLogs.schemaUrl);

    for (const scopeLogs of resourceLogs.scopeLogs) {
      const scope = scopeToJson(scopeLogs.scope, converter);
      if (scope === null) {
        rejections.add(`scope ${converter.problem}`, scopeLogs.logRecords.length);
        continue;
      }
      const shared: ResourceScopeColumns = { siteId, serviceName, resource, resourceSchemaUrl, scope, scopeSchemaUrl: sanitizeString(scopeLogs.schemaUrl) };

      for (const record of scopeLogs.logRecords) {
        const timeUnixNano = int64ToBigInt(record.timeUnixNano);
        const observedTimeUnixNano = int64ToBigInt(record.observedTimeUnixNano);
        const problem = logIdProblem(record) ?? logTimeProblem(timeUnixNano, observedTimeUnixNano);
        if (problem !== null) {
          rejections.add(problem);
          continue;
        }
        const timestampUnixNano = timeUnixNano !== 0n ? timeUnixNano : observedTimeUnixNano !== 0n ? observedTimeUnixNano : receivedAtUnixNano;
        const row = recordToRow(record, shared, { timeUnixNano, observedTimeUnixNano, timestampUnixNano }, converter);
        if (typeof row === 'string') {
          rejections.add(row);
          continue;
        }
        rows.push(row);
      }
    }
  }
  return { rows, rejected: rejections.count, message: rejections.message('log record', 'log records') };
}

function recordsIn(resourceLogs: IResourceLogs): number {
  let count = 0;
  for (const scopeLogs of resourceLogs.scopeLogs) count += scopeLogs.logRecords.length;
  return count;
}

type RecordTimes = Pick<LogRow, 'timeUnixNano' | 'observedTimeUnixNano' | 'timestampUnixNano'>;

/** The record's row, or the reason it cannot be made (a value past the limits). */
function recordToRow(record: ILogRecord, shared: ResourceScopeColumns, times: RecordTimes, converter: AttributeConverter): LogRow | string {
  const limited = converter.attributes(record.attributes);
  if (limited === null) return converter.problem;
  let body: LogRow['body'] = null;
  if (record.body !== null) {
    body = converter.value(record.body);
    if (body === null) return `body: ${converter.problem}`;
  }
  const attributes = limited.attributes;
  return {
    siteId: shared.siteId,
    ...times,
    severityNumber: record.severityNumber,
    severityText: sanitizeString(record.severityText),
    body,
    attributes,
    droppedAttributesCount: addDropped(record.droppedAttributesCount, limited.dropped),
    flags: record.flags,
    traceId: isAbsentId(record.traceId) ? null : copyBytes(record.traceId),
    spanId: isAbsentId(record.spanId) ? null : copyBytes(record.spanId),
    eventName: sanitizeString(record.eventName),
    serviceName: shared.serviceName,
    exception: exceptionOf(attributes),
    resource: shared.resource,
    resourceSchemaUrl: shared.resourceSchemaUrl,
    scope: shared.scope,
    scopeSchemaUrl: shared.scopeSchemaUrl,
  };
}

/**
 * The exception the record's attributes name, or null. The semantic
 * conventions require exception.type or exception.message; a stack trace
 * alone names no exception.
 */
export function exceptionOf(attributes: readonly KeyValueJson[]): LogException | null {
  let type: string | null = null;
  let message: string | null = null;
  let stacktrace: string | null = null;
  for (const { key, value } of attributes) {
    if (!key.startsWith('exception.') || !('stringValue' in value)) continue;
    if (key === 'exception.type') type = value.stringValue;
    else if (key === 'exception.message') message = value.stringValue;
    else if (key === 'exception.stacktrace') stacktrace = value.stringValue;
  }
  return type === null && message === null ? null : { type, message, stacktrace };
}
