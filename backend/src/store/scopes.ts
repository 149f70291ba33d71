import { knownScopes } from '@justanalytics/collector/model';
import type { Scope } from '@justanalytics/collector/model';

// The one list lives in the shared model, so the collector's Scope type and the store cannot disagree.
export { knownScopes };

/** Scopes as stored, in canonical order, without any this version does not know. */
export function storedScopes(scopes: readonly string[]): Scope[] {
  return knownScopes.filter((scope) => scopes.includes(scope));
}
