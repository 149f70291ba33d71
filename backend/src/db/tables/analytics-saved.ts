import type { ColumnType } from 'kysely';

type Created = ColumnType<Date, Date | undefined, never>;

/**
 * A saved funnel: site configuration. `id` is made by the application;
 * `definition` is the funnel's steps and window as the API takes them.
 */
export interface AnalyticsFunnelsTable {
  site_id: string;
  id: string;
  name: string;
  definition: unknown;
  created_at: Created;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** A saved goal: a page pattern, or an event with optional props. */
export interface AnalyticsGoalsTable {
  site_id: string;
  id: string;
  name: string;
  definition: unknown;
  created_at: Created;
}
