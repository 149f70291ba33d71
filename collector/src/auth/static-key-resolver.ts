import { FailedAuthLimiter } from './failed-auth-limiter.ts';
import type { ResolvedKey } from '../model/keys.ts';
import type { KeyResolver } from './key-resolver.ts';

/**
 * Resolves keys from a fixed map of secret → key. For tests and for running
 * the collector without the backend's key table.
 */
export class StaticKeyResolver implements KeyResolver {
  readonly #keys: ReadonlyMap<string, ResolvedKey>;
  readonly failedAuthentications: FailedAuthLimiter;

  /** `failedAuthentications` defaults to a limiter with the default rates. */
  constructor(keys: Iterable<readonly [secret: string, key: ResolvedKey]>, options: { failedAuthentications?: FailedAuthLimiter } = {}) {
    this.#keys = new Map(keys);
    this.failedAuthentications = options.failedAuthentications ?? new FailedAuthLimiter();
  }

  async resolve(secret: string): Promise<ResolvedKey | null> {
    return this.#keys.get(secret) ?? null;
  }
}
