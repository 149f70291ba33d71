import type { ColumnType, Generated } from 'kysely';

export interface ApiKeysTable {
  id: Generated<string>;
  site_id: string;
  name: string | null;
  prefix: string;
  secret_hash: Buffer;
  scopes: string[];
  created_at: ColumnType<Date, never, never>;
  revoked_at: ColumnType<Date | null, never, Date | null>;
}
