import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { FunnelDefinition } from '../query/analytics/funnels-definition.ts';
import type { GoalDefinition } from '../query/analytics/goals-match.ts';
import { isRowId } from './ids.ts';

// Saved goals and funnels: a site's configuration, kept in analytics_goals and
// analytics_funnels. Their IDs are made here (random positive int63, shown as
// decimal strings), since the storage rules allow no serials; a collision of
// two random 63-bit IDs within one site is not worth a retry loop.

/** Goals per site: conversions compute every goal of the site in one scan. */
export const MAX_GOALS_PER_SITE = 100;
export const MAX_FUNNELS_PER_SITE = 100;

export interface SavedGoal {
  id: string;
  name: string;
  definition: GoalDefinition;
  createdAt: Date;
}

export interface SavedFunnel {
  id: string;
  name: string;
  definition: FunnelDefinition;
  createdAt: Date;
  updatedAt: Date;
}

/** The site already has as many goals or funnels as it may. */
export class SavedLimitError extends Error {}

/** A random positive int63 as a decimal string. */
export function newSavedId(): string {
  const id = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? '1' : id.toString();
}

export async function createGoal(db: Kysely<Database>, siteId: string, name: string, definition: GoalDefinition): Promise<SavedGoal> {
  return db.transaction().execute(async (trx) => {
    const { count } = await trx.selectFrom('analytics_goals').select((eb) => eb.fn.countAll<string>().as('count')).where('site_id', '=', siteId).executeTakeFirstOrThrow();
    if (Number(count) >= MAX_GOALS_PER_SITE) throw new SavedLimitError(`a site may have at most ${MAX_GOALS_PER_SITE} goals`);
    const row = await trx
      .insertInto('analytics_goals')
      .values({ site_id: siteId, id: newSavedId(), name, definition: JSON.stringify(definition) })
      .returning(['id', 'name', 'definition', 'created_at'])
      .executeTakeFirstOrThrow();
    return toGoal(row);
  });
}

/** The site's goals, oldest first. */
export async function listGoals(db: Kysely<Database>, siteId: string): Promise<SavedGoal[]> {
  const rows = await db.selectFrom('analytics_goals').select(['id', 'name', 'definition', 'created_at']).where('site_id', '=', siteId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toGoal);
}

/** True when the site had the goal. */
export async function deleteGoal(db: Kysely<Database>, siteId: string, id: string): Promise<boolean> {
  if (!isRowId(id)) return false;
  const result = await db.deleteFrom('analytics_goals').where('site_id', '=', siteId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function createFunnel(db: Kysely<Database>, siteId: string, name: string, definition: FunnelDefinition): Promise<SavedFunnel> {
  return db.transaction().execute(async (trx) => {
    const { count } = await trx.selectFrom('analytics_funnels').select((eb) => eb.fn.countAll<string>().as('count')).where('site_id', '=', siteId).executeTakeFirstOrThrow();
    if (Number(count) >= MAX_FUNNELS_PER_SITE) throw new SavedLimitError(`a site may have at most ${MAX_FUNNELS_PER_SITE} saved funnels`);
    const row = await trx
      .insertInto('analytics_funnels')
      .values({ site_id: siteId, id: newSavedId(), name, definition: JSON.stringify(definition) })
      .returning(['id', 'name', 'definition', 'created_at', 'updated_at'])
      .executeTakeFirstOrThrow();
    return toFunnel(row);
  });
}

/** The site's saved funnels, oldest first. */
export async function listFunnels(db: Kysely<Database>, siteId: string): Promise<SavedFunnel[]> {
  const rows = await db
    .selectFrom('analytics_funnels')
    .select(['id', 'name', 'definition', 'created_at', 'updated_at'])
    .where('site_id', '=', siteId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toFunnel);
}

export async function getFunnel(db: Kysely<Database>, siteId: string, id: string): Promise<SavedFunnel | null> {
  if (!isRowId(id)) return null;
  const row = await db
    .selectFrom('analytics_funnels')
    .select(['id', 'name', 'definition', 'created_at', 'updated_at'])
    .where('site_id', '=', siteId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? null : toFunnel(row);
}

/** Replaces a saved funnel's name and definition; null when the site has no such funnel. */
export async function updateFunnel(db: Kysely<Database>, siteId: string, id: string, name: string, definition: FunnelDefinition): Promise<SavedFunnel | null> {
  if (!isRowId(id)) return null;
  const row = await db
    .updateTable('analytics_funnels')
    .set({ name, definition: JSON.stringify(definition), updated_at: new Date() })
    .where('site_id', '=', siteId)
    .where('id', '=', id)
    .returning(['id', 'name', 'definition', 'created_at', 'updated_at'])
    .executeTakeFirst();
  return row === undefined ? null : toFunnel(row);
}

/** True when the site had the funnel. */
export async function deleteFunnel(db: Kysely<Database>, siteId: string, id: string): Promise<boolean> {
  if (!isRowId(id)) return false;
  const result = await db.deleteFrom('analytics_funnels').where('site_id', '=', siteId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

// definition is jsonb written only by the functions above, from checked definitions.
function toGoal(row: { id: string; name: string; definition: unknown; created_at: Date }): SavedGoal {
  return { id: row.id, name: row.name, definition: row.definition as GoalDefinition, createdAt: row.created_at };
}

function toFunnel(row: { id: string; name: string; definition: unknown; created_at: Date; updated_at: Date }): SavedFunnel {
  return { id: row.id, name: row.name, definition: row.definition as FunnelDefinition, createdAt: row.created_at, updatedAt: row.updated_at };
}
