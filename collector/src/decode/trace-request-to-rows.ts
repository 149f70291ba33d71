import { int64ToBigInt, int64ToString } from '@justanalytics/proto';
import type { IExportTraceServiceRequest, IInstrumentationScope, IKeyValue, IResource, ISpan, ISpanEvent, ISpanLink } from '@justanalytics/proto';
import type { ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from '../rows/otlp-json.ts';
import type { SpanRow } from '../rows/span-row.ts';
import { keyValuesToJson } from './any-value.ts';
import type { DecodedRows } from './decoded-rows.ts';
import { bytesToHex, copyBytes } from './id-bytes.ts';
import { httpRouteOf, httpStatusCodeOf, serviceNameOf } from './promoted-attributes.ts';
import { Rejections } from './rejections.ts';
import { enumProblem, idProblem, isRootParent, timeProblem } from './span-checks.ts';
import { sanitizeString } from './sanitize-string.ts';

/**
 * Turns a decoded ExportTraceServiceRequest (from protobuf or OTLP/JSON alike)
 * into span rows of one site. A span that cannot be stored is counted and
 * left out with its reason; it never fails the others.
 */
export function traceRequestToRows(request: IExportTraceServiceRequest, siteId: string): DecodedRows<SpanRow> {
  const rows: SpanRow[] = [];
  const rejections = new Rejections();

  for (const resourceSpans of request.resourceSpans) {
    const resource = resourceToJson(resourceSpans.resource);
    const serviceName = serviceNameOf(resource.attributes);
    const resourceSchemaUrl = sanitizeString(resourceSpans.schemaUrl);

    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scope = scopeToJson(scopeSpans.scope);
      const shared: SharedColumns = { siteId, serviceName, resource, resourceSchemaUrl, scope, scopeSchemaUrl: sanitizeString(scopeSpans.schemaUrl) };

      for (const span of scopeSpans.spans) {
        const problem = idProblem(span);
        if (problem !== null) {
          rejections.add(problem);
          continue;
        }
        const startTimeUnixNano = int64ToBigInt(span.startTimeUnixNano);
        const endTimeUnixNano = int64ToBigInt(span.endTimeUnixNano);
        const statusCode = span.status?.code ?? 0;
        const invalid = timeProblem(startTimeUnixNano, endTimeUnixNano) ?? enumProblem(span.kind, statusCode);
        if (invalid !== null) {
          rejections.add(invalid);
          continue;
        }
        rows.push(spanToRow(span, shared, startTimeUnixNano, endTimeUnixNano, statusCode));
      }
    }
  }
  return { rows, rejected: rejections.count, message: rejections.message('span', 'spans') };
}

/**
 * The columns every span of one resource and scope has in common. The
 * resource and scope objects are shared by those rows, not copied: rows are
 * read-only once decoded.
 */
interface SharedColumns {
  siteId: string;
  serviceName: string;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}

function spanToRow(span: ISpan, shared: SharedColumns, startTimeUnixNano: bigint, endTimeUnixNano: bigint, statusCode: number): SpanRow {
  const attributes = keyValuesToJson(span.attributes);
  return {
    siteId: shared.siteId,
    traceId: copyBytes(span.traceId),
    spanId: copyBytes(span.spanId),
    parentSpanId: isRootParent(span.parentSpanId) ? null : copyBytes(span.parentSpanId),
    traceState: sanitizeString(span.traceState),
    flags: span.flags,
    name: sanitizeString(span.name),
    kind: span.kind,
    startTimeUnixNano,
    endTimeUnixNano,
    statusCode,
    statusMessage: sanitizeString(span.status?.message ?? ''),
    serviceName: shared.serviceName,
    httpRoute: httpRouteOf(attributes),
    httpStatusCode: httpStatusCodeOf(attributes),
    attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(eventToJson),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(linkToJson),
    droppedLinksCount: span.droppedLinksCount,
    resource: shared.resource,
    resourceSchemaUrl: shared.resourceSchemaUrl,
    scope: shared.scope,
    scopeSchemaUrl: shared.scopeSchemaUrl,
  };
}

/** Attributes with their dropped count, as resources, scopes, events and links all carry them. */
type AttributesJson = Pick<ResourceJson, 'attributes' | 'droppedAttributesCount'>;

function attributesToJson(item: { attributes: readonly IKeyValue[]; droppedAttributesCount: number }): AttributesJson {
  return { attributes: keyValuesToJson(item.attributes), droppedAttributesCount: item.droppedAttributesCount };
}

function resourceToJson(resource: IResource | null): ResourceJson {
  if (resource === null) return { attributes: [], droppedAttributesCount: 0 };
  return attributesToJson(resource);
}

function scopeToJson(scope: IInstrumentationScope | null): ScopeJson {
  if (scope === null) return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
  return { name: sanitizeString(scope.name), version: sanitizeString(scope.version), ...attributesToJson(scope) };
}

function eventToJson(event: ISpanEvent): SpanEventJson {
  return { timeUnixNano: int64ToString(event.timeUnixNano), name: sanitizeString(event.name), ...attributesToJson(event) };
}

function linkToJson(link: ISpanLink): SpanLinkJson {
  return {
    traceId: bytesToHex(link.traceId),
    spanId: bytesToHex(link.spanId),
    traceState: sanitizeString(link.traceState),
    ...attributesToJson(link),
    flags: link.flags,
  };
}
