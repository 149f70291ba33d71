import { int64ToBigInt, int64ToString } from '@justanalytics/proto';
import type { IExportTraceServiceRequest, IResourceSpans, ISpan, ISpanEvent, ISpanLink } from '@justanalytics/proto';
import type { SpanEventJson, SpanLinkJson } from '../../model/otlp-json.ts';
import type { SpanRow } from './span-row.ts';
import { addDropped, AttributeConverter } from '../../decode/any-value.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { copyBytes } from '../../decode/id-bytes.ts';
import { bytesToHex } from '../../model/ids.ts';
import { httpRouteOf, httpStatusCodeOf, serviceNameOf } from '../../decode/promoted-attributes.ts';
import { Rejections } from '../../decode/rejections.ts';
import { attributesToJson, resourceToJson, scopeToJson } from '../../decode/resource-scope.ts';
import type { ResourceScopeColumns } from '../../decode/resource-scope.ts';
import { enumProblem, idProblem, isRootParent, timeProblem } from './span-checks.ts';
import { sanitizeString } from '../../decode/sanitize-string.ts';

/**
 * Turns a decoded ExportTraceServiceRequest (from protobuf or OTLP/JSON alike)
 * into span rows of one site. A span that cannot be stored is counted and
 * left out with its reason; it never fails the others. The decode limits
 * apply as OTel SDKs apply theirs: attributes, events and links past them are
 * dropped and added to the dropped counts; a value past them (too many items,
 * too deep) rejects the spans that carry it, in their resource or scope too.
 */
export function traceRequestToRows(request: IExportTraceServiceRequest, siteId: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedRows<SpanRow> {
  const rows: SpanRow[] = [];
  const rejections = new Rejections();
  const converter = new AttributeConverter(limits);

  for (const resourceSpans of request.resourceSpans) {
    const resource = resourceToJson(resourceSpans.resource, converter);
    if (resource === null) {
      rejections.add(`resource ${converter.problem}`, spansIn(resourceSpans));
      continue;
    }
    const serviceName = serviceNameOf(resource.attributes);
    const resourceSchemaUrl = sanitizeString(resourceSpans.schemaUrl);

    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scope = scopeToJson(scopeSpans.scope, converter);
      if (scope === null) {
        rejections.add(`scope ${converter.problem}`, scopeSpans.spans.length);
        continue;
      }
      const shared: ResourceScopeColumns = { siteId, serviceName, resource, resourceSchemaUrl, scope, scopeSchemaUrl: sanitizeString(scopeSpans.schemaUrl) };

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
        const row = spanToRow(span, shared, startTimeUnixNano, endTimeUnixNano, statusCode, converter, limits);
        if (row === null) {
          rejections.add(converter.problem);
          continue;
        }
        rows.push(row);
      }
    }
  }
  return { rows, rejected: rejections.count, message: rejections.message('span', 'spans') };
}

function spansIn(resourceSpans: IResourceSpans): number {
  let count = 0;
  for (const scopeSpans of resourceSpans.scopeSpans) count += scopeSpans.spans.length;
  return count;
}

/** The span's row, or null when a value in it is past the limits (the reason in converter.problem). */
function spanToRow(
  span: ISpan,
  shared: ResourceScopeColumns,
  startTimeUnixNano: bigint,
  endTimeUnixNano: bigint,
  statusCode: number,
  converter: AttributeConverter,
  limits: DecodeLimits,
): SpanRow | null {
  const limited = converter.attributes(span.attributes);
  if (limited === null) return null;
  const attributes = limited.attributes;
  const events = itemsToJson(span.events, limits.maxSpanEvents, (event) => eventToJson(event, converter));
  if (events === null) return null;
  const links = itemsToJson(span.links, limits.maxSpanLinks, (link) => linkToJson(link, converter));
  if (links === null) return null;
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
    droppedAttributesCount: addDropped(span.droppedAttributesCount, limited.dropped),
    events: events.items,
    droppedEventsCount: addDropped(span.droppedEventsCount, events.dropped),
    links: links.items,
    droppedLinksCount: addDropped(span.droppedLinksCount, links.dropped),
    resource: shared.resource,
    resourceSchemaUrl: shared.resourceSchemaUrl,
    scope: shared.scope,
    scopeSchemaUrl: shared.scopeSchemaUrl,
  };
}

/** The first `max` of a span's events or links converted, and how many past it were dropped; null when one cannot be converted. */
function itemsToJson<Item, Json>(list: readonly Item[], max: number, toJson: (item: Item) => Json | null): { items: Json[]; dropped: number } | null {
  const kept = Math.min(list.length, max);
  const items = new Array<Json>(kept);
  for (let i = 0; i < kept; i++) {
    const json = toJson(list[i] as Item);
    if (json === null) return null;
    items[i] = json;
  }
  return { items, dropped: list.length - kept };
}

function eventToJson(event: ISpanEvent, converter: AttributeConverter): SpanEventJson | null {
  const attributes = attributesToJson(event, converter);
  if (attributes === null) return null;
  return { timeUnixNano: int64ToString(event.timeUnixNano), name: sanitizeString(event.name), ...attributes };
}

function linkToJson(link: ISpanLink, converter: AttributeConverter): SpanLinkJson | null {
  const attributes = attributesToJson(link, converter);
  if (attributes === null) return null;
  return {
    traceId: bytesToHex(link.traceId),
    spanId: bytesToHex(link.spanId),
    traceState: sanitizeString(link.traceState),
    ...attributes,
    flags: link.flags,
  };
}
