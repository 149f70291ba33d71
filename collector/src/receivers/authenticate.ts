import type { KeyResolver, ResolvedKey } from '../auth/key-resolver.ts';
import { ReceiverError } from './errors.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const SECRET_PREFIX = 'ja_sk_';

/**
 * Resolves `Authorization: Bearer ja_sk_…` (the same value in gRPC metadata)
 * to a key that may ingest. A missing or unknown key is `unauthenticated`, a
 * key without the `ingest` scope `permission_denied`. A resolver that fails
 * (its database down) makes the export `unavailable`: a retry may succeed.
 */
export async function authenticateIngest(keys: KeyResolver, authorization: string | undefined): Promise<ResolvedKey> {
  if (authorization === undefined || authorization === '') {
    throw new ReceiverError('unauthenticated', 'missing API key: send "Authorization: Bearer ja_sk_…"');
  }
  const secret = BEARER.exec(authorization)?.[1];
  if (secret === undefined) throw new ReceiverError('unauthenticated', 'malformed Authorization header: expected "Bearer ja_sk_…"');
  if (!secret.startsWith(SECRET_PREFIX)) throw new ReceiverError('unauthenticated', 'unknown API key');
  let key: ResolvedKey | null;
  try {
    key = await keys.resolve(secret);
  } catch (error) {
    throw new ReceiverError('unavailable', 'API keys cannot be checked right now, retry later', { cause: error });
  }
  if (key === null) throw new ReceiverError('unauthenticated', 'unknown API key');
  if (!key.scopes.includes('ingest')) throw new ReceiverError('permission_denied', 'this API key has no ingest scope');
  return key;
}
