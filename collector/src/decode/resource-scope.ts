import type { IInstrumentationScope, IKeyValue, IResource } from '@justanalytics/proto';
import type { ResourceJson, ScopeJson } from '../model/otlp-json.ts';
import { addDropped } from './any-value.ts';
import type { AttributeConverter } from './any-value.ts';
import { sanitizeString } from './sanitize-string.ts';

/** Attributes with their dropped count, as resources, scopes, events and links all carry them. */
export type AttributesJson = Pick<ResourceJson, 'attributes' | 'droppedAttributesCount'>;

/** The item's attributes under the limits, or null when a value in them is past the limits (the reason in converter.problem). */
export function attributesToJson(item: { attributes: readonly IKeyValue[]; droppedAttributesCount: number }, converter: AttributeConverter): AttributesJson | null {
  const limited = converter.attributes(item.attributes);
  if (limited === null) return null;
  return { attributes: limited.attributes, droppedAttributesCount: addDropped(item.droppedAttributesCount, limited.dropped) };
}

// Every signal's rows carry resource and scope in this one form, so the
// store's resource/scope de-duplication serves them all.
export function resourceToJson(resource: IResource | null, converter: AttributeConverter): ResourceJson | null {
  if (resource === null) return { attributes: [], droppedAttributesCount: 0 };
  return attributesToJson(resource, converter);
}

export function scopeToJson(scope: IInstrumentationScope | null, converter: AttributeConverter): ScopeJson | null {
  if (scope === null) return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
  const attributes = attributesToJson(scope, converter);
  if (attributes === null) return null;
  return { name: sanitizeString(scope.name), version: sanitizeString(scope.version), ...attributes };
}

/**
 * The columns every row of one resource and scope has in common, whatever its
 * signal. The resource and scope objects are shared by those rows, not
 * copied: rows are read-only once decoded.
 */
export interface ResourceScopeColumns {
  siteId: string;
  serviceName: string;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}
