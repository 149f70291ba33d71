import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseBearer } from '@justanalytics/collector/model';
import type { KeyResolver, ResolvedKey, Scope } from '@justanalytics/collector/model';
import { PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError, UnavailableError } from './errors.ts';

const KEY = 'apiKey';

/**
 * Requires `Authorization: Bearer <key>` with `scope` on every route of this
 * plugin's scope: 401 without a live key, 403 without the scope. The key's
 * site is what the route may show (see siteOf). The key itself is never logged.
 * A client (by `request.ip`, so behind trusted proxies the forwarded address)
 * past its allowance of failed authentications gets 429 RESOURCE_EXHAUSTED
 * with Retry-After instead of 401; the key is checked first, so a good key is
 * never refused that way.
 */
export function requireApiKey(app: FastifyInstance, keys: KeyResolver, scope: Scope): void {
  app.decorateRequest(KEY, null);
  app.addHook('onRequest', async (request, reply) => {
    const secret = parseBearer(request.headers.authorization);
    if (secret === undefined) {
      throttleFailure(keys, request, reply);
      void reply.header('www-authenticate', 'Bearer');
      throw new UnauthenticatedError('an API key is required: Authorization: Bearer ja_sk_…');
    }
    let key: ResolvedKey | null;
    try {
      key = await keys.resolve(secret);
    } catch (error) {
      request.log.error({ err: error }, 'API key lookup failed');
      throw new UnavailableError('the API key cannot be checked right now');
    }
    if (key === null) {
      throttleFailure(keys, request, reply);
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new UnauthenticatedError('the API key is unknown or revoked');
    }
    if (!key.scopes.includes(scope)) throw new PermissionDeniedError(`the API key lacks the "${scope}" scope`);
    request.setDecorator<ResolvedKey>(KEY, key);
  });
}

/** Counts a failed authentication of the request's client; throws 429 once the client is past its allowance. */
function throttleFailure(keys: KeyResolver, request: FastifyRequest, reply: FastifyReply): void {
  const retryAfterSeconds = keys.failedAuthentications?.recordFailure(request.ip) ?? null;
  if (retryAfterSeconds === null) return;
  void reply.header('retry-after', String(retryAfterSeconds));
  throw new ResourceExhaustedError('too many requests with a missing or unknown API key, retry later');
}

/** The site whose data the request may see: the site of its API key. */
export function siteOf(request: FastifyRequest): string {
  const key = request.getDecorator<ResolvedKey | null>(KEY);
  if (key === null) throw new Error('siteOf called on a route without requireApiKey');
  return key.siteId;
}
