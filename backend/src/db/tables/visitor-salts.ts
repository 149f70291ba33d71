import type { ColumnType } from 'kysely';

/** The visitor hash's salt of one UTC day (store/visitor-salts.ts), deleted 48 hours after the day began. */
export interface VisitorSaltsTable {
  /** The UTC day, written 'YYYY-MM-DD'; pg reads `date` as a local-midnight Date, so read it as `day::text`. */
  day: ColumnType<Date, string, string>;
  /** 32 random bytes. */
  salt: Buffer;
}
