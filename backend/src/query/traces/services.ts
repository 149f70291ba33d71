import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';

export interface ServiceStats {
  name: string;
  spanCount: number;
  errorCount: number;
}

export interface OperationStats {
  name: string;
  /** The OTLP SpanKind value; an operation seen with two kinds is listed twice. */
  spanKind: number;
  spanCount: number;
  errorCount: number;
}

const STATUS_ERROR = 2;

/** The services that sent spans starting in the range, by name. */
export async function listServices(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<ServiceStats[]> {
  const rows = await db
    .selectFrom('spans')
    .where('site_id', '=', siteId)
    .where('start_time', '>=', range.start)
    .where('start_time', '<', range.end)
    .groupBy('service_name')
    .select((eb) => [
      'service_name',
      eb.fn.countAll<string>().as('span_count'),
      eb.fn.countAll<string>().filterWhere('status_code', '=', STATUS_ERROR).as('error_count'),
    ])
    .orderBy('service_name')
    .execute();
  return rows.map((row) => ({ name: row.service_name, spanCount: Number(row.span_count), errorCount: Number(row.error_count) }));
}

/** The span names (and kinds) of one service in the range, by name. */
export async function listOperations(
  db: Kysely<Database>,
  siteId: string,
  service: string,
  range: TimeRange,
): Promise<OperationStats[]> {
  const rows = await db
    .selectFrom('spans')
    .where('site_id', '=', siteId)
    .where('service_name', '=', service)
    .where('start_time', '>=', range.start)
    .where('start_time', '<', range.end)
    .groupBy(['name', 'kind'])
    .select((eb) => [
      'name',
      'kind',
      eb.fn.countAll<string>().as('span_count'),
      eb.fn.countAll<string>().filterWhere('status_code', '=', STATUS_ERROR).as('error_count'),
    ])
    .orderBy('name')
    .orderBy('kind')
    .execute();
  return rows.map((row) => ({
    name: row.name,
    spanKind: row.kind,
    spanCount: Number(row.span_count),
    errorCount: Number(row.error_count),
  }));
}
