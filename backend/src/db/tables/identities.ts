import type { ColumnType } from 'kysely';
import type { PropValue } from '@justanalytics/collector';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';
import { storableJson } from '../copy-text.ts';

/** One identify of a flush (the latest per anonymous ID), as the identity writer upserts it. */
export interface IdentityUpsert {
  siteId: string;
  anonymousId: string;
  userId: string;
  traits: Record<string, PropValue>;
  /** Microsecond timestamptz literal of the identify's time. */
  seenAt: string;
}

const column = paramColumnsOf<IdentityUpsert>();

/** The columns of identities in table order (first_seen_at and last_seen_at both the identify's time). */
export const identityColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('anonymous_id', 'text', (r) => r.anonymousId),
  column('user_id', 'text', (r) => r.userId),
  column('traits', 'jsonb', (r) => storableJson(r.traits)),
  column('first_seen_at', 'timestamptz', (r) => r.seenAt),
  column('last_seen_at', 'timestamptz', (r) => r.seenAt),
] as const;

type Stored<T> = ColumnType<T, never, never>;

/** Which user an anonymous ID turned out to be, the latest identify winning; written by store/events/identity-writer.ts. */
export interface IdentitiesTable {
  site_id: Stored<string>;
  anonymous_id: Stored<string>;
  user_id: Stored<string>;
  traits: Stored<Record<string, PropValue>>;
  /** The first identify's time, kept when later ones change the user or traits. */
  first_seen_at: Stored<Date>;
  last_seen_at: Stored<Date>;
}

/** Fails to compile when IdentitiesTable and identityColumns name different columns. */
export type IdentitiesTableMatchesColumns = Assert<SameNames<keyof IdentitiesTable, ColumnNames<typeof identityColumns>>>;
