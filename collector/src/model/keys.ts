/**
 * Every scope an API key can carry, in the order they are listed. The key
 * store, the `keys` command and the type below all read this one list, so a
 * new scope cannot be known to one and not the others.
 */
export const knownScopes = ['ingest', 'read', 'admin'] as const;

export type Scope = (typeof knownScopes)[number];

/** A live key, as a KeyResolver resolves a presented secret. */
export interface ResolvedKey {
  keyId: string;
  siteId: string;
  scopes: readonly Scope[];
}
