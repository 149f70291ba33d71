import type { Scope } from '@justanalytics/collector';

/** Every scope a key can carry, in the order they are listed. */
export const knownScopes: readonly Scope[] = ['ingest', 'read', 'admin'];

/** Scopes as stored, in canonical order, without any this version does not know. */
export function storedScopes(scopes: readonly string[]): Scope[] {
  return knownScopes.filter((scope) => scopes.includes(scope));
}
