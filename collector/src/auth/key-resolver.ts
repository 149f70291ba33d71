import type { ResolvedKey } from '../model/keys.ts';
import type { FailedAuthLimiter } from './failed-auth-limiter.ts';

/**
 * Turns a presented secret (`ja_sk_…`) into the site and scopes it grants, or
 * null when no live key matches. The backend implements it over the api_keys
 * table; the collector never sees SQL.
 */
export interface KeyResolver {
  resolve(secret: string): Promise<ResolvedKey | null>;
  /**
   * Failed authentications allowed per client address. It lives with the
   * resolver so that everything authenticating against the same keys (both
   * OTLP receivers, the query API) counts a client's failures together.
   * Without one, failures are not limited.
   */
  readonly failedAuthentications?: FailedAuthLimiter;
}
