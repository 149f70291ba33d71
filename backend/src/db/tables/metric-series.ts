import type { ColumnType } from 'kysely';
import type { KeyValueJson, MetricType } from '@justanalytics/collector';
import { storableJson } from '../copy-text.ts';
import { dayStart } from '../days.ts';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';

type Stored<T> = ColumnType<T, never, never>;

/** What one metric_series row is made from: a series of a site on a UTC day. */
export interface MetricSeriesInsert {
  siteId: string;
  day: number;
  series: {
    id: Buffer;
    metricName: string;
    type: MetricType;
    unit: string;
    temporality: number;
    monotonic: boolean;
    description: string;
    serviceName: string;
    resourceScopeId: Buffer;
    attributes: KeyValueJson[];
  };
}

const column = paramColumnsOf<MetricSeriesInsert>();

/** The columns of metric_series in table order, each with a row's value. */
export const metricSeriesColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('day', 'timestamptz', (r) => dayStart(r.day).toISOString()),
  column('id', 'bytea', (r) => r.series.id),
  column('metric_name', 'text', (r) => r.series.metricName),
  column('type', 'text', (r) => r.series.type),
  column('unit', 'text', (r) => r.series.unit),
  column('temporality', 'int2', (r) => String(r.series.temporality)),
  column('monotonic', 'bool', (r) => String(r.series.monotonic)),
  column('description', 'text', (r) => r.series.description),
  column('service_name', 'text', (r) => r.series.serviceName),
  column('resource_scope_id', 'bytea', (r) => r.series.resourceScopeId),
  column('attributes', 'jsonb', (r) => storableJson(r.series.attributes)),
] as const;

/**
 * One metric series of a site per UTC day it has points on, referred to by
 * metric_points.series_id. Written by store/ with an unnest upsert
 * (metricSeriesColumns), never through Kysely, hence `never` inserts.
 */
export interface MetricSeriesTable {
  site_id: Stored<string>;
  day: Stored<Date>;
  /** 16 bytes: a hash of the identity (every column but day, description and service_name), the same on every day. */
  id: Stored<Buffer>;
  metric_name: Stored<string>;
  type: Stored<MetricType>;
  unit: Stored<string>;
  temporality: Stored<number>;
  monotonic: Stored<boolean>;
  description: Stored<string>;
  service_name: Stored<string>;
  resource_scope_id: Stored<Buffer>;
  attributes: Stored<KeyValueJson[]>;
}

/** Fails to compile when MetricSeriesTable and metricSeriesColumns name different columns. */
export type MetricSeriesTableMatchesColumns = Assert<SameNames<keyof MetricSeriesTable, ColumnNames<typeof metricSeriesColumns>>>;
