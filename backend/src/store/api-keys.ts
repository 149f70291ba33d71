import { sql, type Kysely } from 'kysely';
import type { Scope } from '@justanalytics/collector/model';
import type { Database } from '../db/database.ts';
import { announceApiKeyChange, inTransaction } from './api-key-changes.ts';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-secret.ts';
import { isRowId } from './ids.ts';
import { knownScopes, storedScopes } from './scopes.ts';

export { ApiKeyResolver, type ApiKeyResolverOptions } from './api-key-resolver.ts';

/** A key as listings show it: never the secret. */
export interface ApiKeyInfo {
  id: string;
  siteId: string;
  name: string | null;
  /** The first characters of the key, e.g. `ja_sk_AbCdEfGh`. */
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** A key just made: the only time its secret is available. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

export interface NewApiKey {
  siteId: string;
  scopes: readonly Scope[];
  name?: string | null;
}

export class UnknownSiteError extends Error {
  readonly siteId: string;
  constructor(siteId: string) {
    super(`there is no site ${siteId}`);
    this.name = 'UnknownSiteError';
    this.siteId = siteId;
  }
}

/**
 * Makes a key for a site; only its SHA-256 and display prefix are stored.
 * Running servers are told at commit and accept it within a second.
 */
export async function createApiKey(db: Kysely<Database>, request: NewApiKey): Promise<CreatedApiKey> {
  const scopes = normaliseScopes(request.scopes);
  if (!isRowId(request.siteId)) throw new UnknownSiteError(request.siteId);
  const key = generateApiKey();
  try {
    const row = await inTransaction(db, async (trx) => {
      const inserted = await trx
        .insertInto('api_keys')
        .values({
          site_id: request.siteId,
          name: request.name?.trim() || null,
          prefix: displayPrefix(key),
          secret_hash: hashApiKey(key),
          scopes,
        })
        .returning(['id', 'site_id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'])
        .executeTakeFirstOrThrow();
      await announceApiKeyChange(trx, inserted.id);
      return inserted;
    });
    return { ...toInfo(row), key };
  } catch (error) {
    if ((error as { code?: unknown }).code === '23503') throw new UnknownSiteError(request.siteId);
    throw error;
  }
}

/** Every key (revoked ones too, with `revokedAt`), of one site or of all, oldest first. */
export async function listApiKeys(db: Kysely<Database>, filter: { siteId?: string | undefined } = {}): Promise<ApiKeyInfo[]> {
  let query = db.selectFrom('api_keys').select(['id', 'site_id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at']);
  if (filter.siteId !== undefined) {
    if (!isRowId(filter.siteId)) return [];
    query = query.where('site_id', '=', filter.siteId);
  }
  const rows = await query.orderBy('id').execute();
  return rows.map(toInfo);
}

/**
 * Revokes a live key. False when there is no such key or it was revoked
 * already. Running servers are told at commit and refuse it within a second.
 */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  if (!isRowId(id)) return false;
  return inTransaction(db, async (trx) => {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await announceApiKeyChange(trx, id);
    return true;
  });
}

function normaliseScopes(scopes: readonly Scope[]): Scope[] {
  for (const scope of scopes) {
    if (!knownScopes.includes(scope)) throw new RangeError(`unknown scope "${String(scope)}" (known: ${knownScopes.join(', ')})`);
  }
  const wanted = knownScopes.filter((scope) => scopes.includes(scope));
  if (wanted.length === 0) throw new RangeError('a key needs at least one scope');
  return wanted;
}

interface ApiKeyRow {
  id: string;
  site_id: string;
  name: string | null;
  prefix: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    prefix: row.prefix,
    scopes: storedScopes(row.scopes),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
