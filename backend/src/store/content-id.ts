import { createHash } from 'node:crypto';
import { sanitizeString } from '@justanalytics/collector';

/**
 * A content-addressed id: the first 16 bytes of the SHA-256 of a canonical
 * serialisation of `value` as it is stored (object keys sorted, strings made
 * storable). Equal content gives an equal id whatever object or key order it
 * came in, so the id needs no lookup to be made, and every process makes the
 * same one.
 */
export function contentId(value: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(value)).digest().subarray(0, 16);
}

function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(sanitizeString(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(sanitizeString(key))}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
