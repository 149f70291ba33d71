import type { ColumnType, Generated } from 'kysely';

export interface SitesTable {
  id: Generated<string>; // bigint; pg returns int8 as a string
  name: string;
  domain: string | null;
  created_at: ColumnType<Date, never, never>;
}
