import { randomBytes } from 'node:crypto';
import type { Salts, SaltSource } from '@justanalytics/collector';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { dayOfMs, isoDay } from '../db/days.ts';

/** Bytes of a salt: as long as the HMAC-SHA256 key's block of hash output. */
export const SALT_BYTES = 32;

// A day whose salt was not found is asked again after this long (another
// process's clock may be a little ahead at midnight).
const missingRecheckMs = 60_000;

/**
 * Makes the UTC day's salt when none exists yet, from any process (the first
 * insert wins, every process then reads the same one), and returns the salt
 * stored for the day.
 */
export async function ensureSalt(db: Kysely<Database>, day: number): Promise<Buffer> {
  await db
    .insertInto('visitor_salts')
    .values({ day: isoDay(day), salt: randomBytes(SALT_BYTES) })
    .onConflict((oc) => oc.column('day').doNothing())
    .execute();
  const row = await db.selectFrom('visitor_salts').select('salt').where(sql<boolean>`day = ${isoDay(day)}::date`).executeTakeFirstOrThrow();
  return row.salt;
}

/**
 * The visitor hash's daily salts from the visitor_salts table, held in memory
 * by day: a query only when the day changes (and, while the previous day has
 * no salt, once a minute). Salts live only here and in that table, which the
 * salt-rotation job empties of days that began more than 48 hours ago.
 */
export class VisitorSalts implements SaltSource {
  readonly #db: Kysely<Database>;
  readonly #salts = new Map<number, Promise<Buffer>>();
  readonly #missing = new Map<number, number>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async salts(nowMs: number): Promise<Salts> {
    const today = dayOfMs(nowMs);
    for (const day of this.#salts.keys()) if (day < today - 1) this.#salts.delete(day);
    const [current, previous] = await Promise.all([this.#current(today), this.#previous(today - 1, nowMs)]);
    return { current, previous };
  }

  #current(day: number): Promise<Buffer> {
    let salt = this.#salts.get(day);
    if (salt === undefined) {
      salt = ensureSalt(this.#db, day);
      // A failed load is not remembered: the next event asks again.
      salt.catch(() => this.#salts.delete(day));
      this.#salts.set(day, salt);
    }
    return salt;
  }

  /** Yesterday's salt while it is kept; never made now (nobody hashed with it if it does not exist). */
  async #previous(day: number, nowMs: number): Promise<Buffer | null> {
    const known = this.#salts.get(day);
    if (known !== undefined) return known;
    const missingSince = this.#missing.get(day);
    if (missingSince !== undefined && nowMs - missingSince < missingRecheckMs) return null;
    const row = await this.#db.selectFrom('visitor_salts').select('salt').where(sql<boolean>`day = ${isoDay(day)}::date`).executeTakeFirst();
    if (row === undefined) {
      this.#missing.clear();
      this.#missing.set(day, nowMs);
      return null;
    }
    this.#missing.delete(day);
    this.#salts.set(day, Promise.resolve(row.salt));
    return row.salt;
  }
}
