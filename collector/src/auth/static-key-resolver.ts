import type { KeyResolver, ResolvedKey } from './key-resolver.ts';

/**
 * Resolves keys from a fixed map of secret → key. For tests and for running
 * the collector without the backend's key table.
 */
export class StaticKeyResolver implements KeyResolver {
  readonly #keys: ReadonlyMap<string, ResolvedKey>;

  constructor(keys: Iterable<readonly [secret: string, key: ResolvedKey]>) {
    this.#keys = new Map(keys);
  }

  async resolve(secret: string): Promise<ResolvedKey | null> {
    return this.#keys.get(secret) ?? null;
  }
}
