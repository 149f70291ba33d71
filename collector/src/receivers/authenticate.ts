import type { KeyResolver } from '../auth/key-resolver.ts';
import type { ResolvedKey } from '../model/keys.ts';
import { parseBearer } from '../model/bearer.ts';
import { ReceiverError } from './errors.ts';

const SECRET_PREFIX = 'ja_sk_';

/**
 * The cause of an `overloaded` refusal for too many failed authentications:
 * it is logged like the failures themselves (debug), not like an overloaded
 * server (warn), so a flood of bad keys is not a flood of warnings.
 */
export class TooManyFailedAuthentications extends Error {
  constructor() {
    super('too many failed authentications from this client');
    this.name = 'TooManyFailedAuthentications';
  }
}

/** What a transport knows of the caller. */
export interface IngestCredentials {
  /** The Authorization header, or the gRPC `authorization` metadata. */
  authorization: string | undefined;
  /** The client's address: failed authentications are limited per client. */
  clientAddress: string;
}

/**
 * How a signal's requests prove who sends them (SignalDescriptor.authenticate):
 * the site they write to, or a ReceiverError to answer with.
 */
export type Authenticate = (keys: KeyResolver, credentials: IngestCredentials) => Promise<ResolvedKey>;

/**
 * Resolves `Authorization: Bearer ja_sk_…` (the same value in gRPC metadata)
 * to a key that may ingest. A missing or unknown key is `unauthenticated`, a
 * key without the `ingest` scope `permission_denied`. A resolver that fails
 * (its database down) makes the export `unavailable`: a retry may succeed.
 * A client past its allowance of failed authentications gets `overloaded`
 * (429 / RESOURCE_EXHAUSTED with a retry delay) instead of `unauthenticated`;
 * the key is looked at first, so a good key is never refused that way.
 */
export async function authenticateIngest(keys: KeyResolver, credentials: IngestCredentials): Promise<ResolvedKey> {
  const key = await resolveIngestKey(keys, credentials.authorization);
  if (key instanceof ReceiverError) {
    const retryAfterSeconds = keys.failedAuthentications?.recordFailure(credentials.clientAddress) ?? null;
    if (retryAfterSeconds !== null) {
      throw new ReceiverError('overloaded', 'too many requests with a missing or unknown API key, retry later', {
        retryAfterSeconds,
        cause: new TooManyFailedAuthentications(),
      });
    }
    throw key;
  }
  if (!key.scopes.includes('ingest')) throw new ReceiverError('permission_denied', 'this API key has no ingest scope');
  return key;
}

/** The key, or the `unauthenticated` error to answer when there is none. */
async function resolveIngestKey(keys: KeyResolver, authorization: string | undefined): Promise<ResolvedKey | ReceiverError> {
  if (authorization === undefined || authorization === '') {
    return new ReceiverError('unauthenticated', 'missing API key: send "Authorization: Bearer ja_sk_…"');
  }
  const secret = parseBearer(authorization);
  if (secret === undefined) return new ReceiverError('unauthenticated', 'malformed Authorization header: expected "Bearer ja_sk_…"');
  if (!secret.startsWith(SECRET_PREFIX)) return new ReceiverError('unauthenticated', 'unknown API key');
  let key: ResolvedKey | null;
  try {
    key = await keys.resolve(secret);
  } catch (error) {
    throw new ReceiverError('unavailable', 'API keys cannot be checked right now, retry later', { cause: error });
  }
  return key ?? new ReceiverError('unauthenticated', 'unknown API key');
}
