import { knownScopes } from '@justanalytics/collector/model';
import type { Scope } from '@justanalytics/collector/model';
import { createApiKey, listApiKeys, revokeApiKey } from '../store/api-keys.ts';
import { isRowId } from '../store/ids.ts';
import { getSite } from '../store/sites.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { withDatabase } from './with-database.ts';

/**
 * Without --scopes a key may only ingest: such keys end up in exporter
 * configs and browsers, where a key that reads would expose every trace of
 * its site. Reading is asked for by name.
 */
const DEFAULT_SCOPES = 'ingest';

export async function runKeysCommand(context: CommandContext): Promise<number> {
  const [action, id] = context.args;
  const { values, out } = context;
  switch (action) {
    case 'create': {
      const siteId = requireId(values.site, '--site');
      const scopes = parseScopes(values.scopes ?? DEFAULT_SCOPES);
      const created = await withDatabase(context, async (db) => {
        if (!(await getSite(db, siteId))) throw new UsageError(`there is no site ${siteId}`);
        return createApiKey(db, { siteId, scopes, name: values.name ?? null });
      });
      if (values.json) out(JSON.stringify(created));
      else {
        out(created.key);
        process.stderr.write(`key ${created.id} for site ${siteId} with scopes ${created.scopes.join(',')}: store it now, it is not shown again\n`);
      }
      return 0;
    }
    case 'list': {
      const siteId = values.site === undefined ? undefined : requireId(values.site, '--site');
      const keys = await withDatabase(context, (db) => listApiKeys(db, { siteId }));
      if (values.json) out(JSON.stringify({ keys }));
      else for (const key of keys) out(`${key.id}\tsite ${key.siteId}\t${key.prefix}…\t${key.scopes.join(',')}\t${key.revokedAt ? 'revoked' : 'active'}`);
      return 0;
    }
    case 'revoke': {
      const keyId = requireId(id, 'a key ID');
      const revoked = await withDatabase(context, (db) => revokeApiKey(db, keyId));
      if (!revoked) throw new UsageError(`there is no active key ${keyId}`);
      out(values.json ? JSON.stringify({ id: keyId, revoked: true }) : `revoked key ${keyId}`);
      return 0;
    }
    default:
      throw new UsageError(action ? `unknown keys action "${action}"` : 'keys needs an action: create, list or revoke');
  }
}

function requireId(value: string | undefined, what: string): string {
  if (value === undefined || !isRowId(value)) throw new UsageError(`${what} must be a numeric ID`);
  return value;
}

function parseScopes(text: string): Scope[] {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  for (const scope of scopes) {
    if (!knownScopes.includes(scope as Scope)) throw new UsageError(`unknown scope "${scope}" (known: ${knownScopes.join(', ')})`);
  }
  if (scopes.length === 0) throw new UsageError('--scopes needs at least one scope');
  return scopes as Scope[];
}
