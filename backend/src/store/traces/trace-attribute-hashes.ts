import type { AnyValueJson, KeyValueJson, ResourceJson } from '@justanalytics/collector/model';
import { hashTextExtended } from '../../db/text-hash.ts';

/**
 * What trace_summaries.attribute_hashes holds for one trace and day: the
 * hashes of the distinct `key=value` texts of its spans' scalar attributes
 * and of their resources' (one set: a filter matches either), so an
 * attribute search finds its candidate traces by a GIN lookup and reads only
 * their spans. See the 2026-11-30T02-00-00 migration.
 */

/** More distinct pairs than this and a row is not indexed: it holds {0} and a search reads its spans. */
export const MAX_ATTRIBUTE_HASHES = 512;
/** The key a span's service column is hashed under, beside its attributes. */
export const SERVICE_NAME = 'service.name';

/** The hash that stands for "not indexed, read the spans"; every attribute search looks it up too. */
export const NOT_INDEXED_HASH = '0';

/**
 * The text a filter `attr.KEY=TEXT` matches a value by (query/attribute-match.ts
 * `attributeCandidates`): a string as it is, an int's decimal, `true`/`false`,
 * a double as JavaScript prints it (the only text that matches it), NaN and
 * the infinities by name. Null for values no filter matches (bytes, arrays,
 * maps, empty).
 */
export function attributeValueText(value: AnyValueJson): string | null {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return value.intValue;
  if ('boolValue' in value) return value.boolValue ? 'true' : 'false';
  if ('doubleValue' in value) return String(value.doubleValue);
  return null;
}

/** The text hashed for a filter or a stored attribute. A `=` inside a key only makes collisions, which the exact check removes. */
export function attributePairText(key: string, text: string): string {
  return `${key}=${text}`;
}

/** The attribute hashes of one trace summary delta as its spans are folded in; `null` once over the cap. */
export class TraceAttributeHashes {
  #hashes: Set<string> | null = new Set();
  #lastResource: ResourceJson | null = null;

  /**
   * A span's attributes, its resource's, and `service.name=` its service
   * column (the resource's service.name, or what the decoder put in its
   * place), so that a service filter can use the hashes too. A resource
   * shared with the previous span is not hashed again.
   */
  addSpan(attributes: readonly KeyValueJson[], resource: ResourceJson, serviceName: string): void {
    this.#add(attributes);
    if (resource !== this.#lastResource) {
      this.#lastResource = resource;
      this.#add(resource.attributes);
      this.#add([{ key: SERVICE_NAME, value: { stringValue: serviceName } }]);
    }
  }

  #add(attributes: readonly KeyValueJson[]): void {
    const hashes = this.#hashes;
    if (hashes === null) return;
    for (const { key, value } of attributes) {
      const text = attributeValueText(value);
      if (text === null) continue;
      // Hashed every time: a map of known pairs measured slower than the hash.
      hashes.add(hashTextExtended(attributePairText(key, text)));
    }
    if (hashes.size > MAX_ATTRIBUTE_HASHES) this.#hashes = null;
  }

  /** The int8[] literal of the set: `{0}` when over the cap. */
  toArrayLiteral(): string {
    return this.#hashes === null ? `{${NOT_INDEXED_HASH}}` : `{${[...this.#hashes].join(',')}}`;
  }
}
