import type { SpanRow } from '@justanalytics/collector';
import type pg from 'pg';
import type { PartitionedTable } from '../../db/partitions.ts';
import { copyChunks } from '../../db/tables/columns.ts';
import { copySpansSql, spanColumns, type SpanCopyRow } from '../../db/tables/spans.ts';
import { copyInto } from '../copy-into.ts';
import { ResourceScopeIds, resourceScopeRows, ResourceScopeWriter } from '../resource-scopes.ts';
import type { Admission, AfterCommit, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';
import { summariseRed, upsertRedRollupsQuery } from './red-rollups.ts';
import { admitSpans } from './span-admission.ts';
import { summariseSpans, upsertTraceSummariesQuery } from './trace-summaries.ts';

/**
 * The traces signal's writer: per flush one COPY into spans, one insert of
 * the (resource, scope) pairs not written before, one upsert of the trace
 * summaries, and one upsert each of the minute and hour RED rollups.
 */
export class SpanWriter implements SignalWriter<SpanRow> {
  readonly tables: readonly PartitionedTable[] = ['spans', 'trace_summaries', 'resource_scopes', 'red_minutes', 'red_hours'];
  readonly #resourceScopes: ResourceScopeWriter;
  readonly #redRollups: boolean;

  /** `redRollups: false` leaves the RED rollups out, only so bench/store-red.ts can measure what they cost. */
  constructor(resourceScopes = new ResourceScopeWriter(), options: { redRollups?: boolean } = {}) {
    this.#resourceScopes = resourceScopes;
    this.#redRollups = options.redRollups ?? true;
  }

  admit(rows: readonly SpanRow[], window: DayWindow): Admission<SpanRow> {
    return admitSpans(rows, window);
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<SpanRow>[]): Promise<AfterCommit> {
    const ids = new ResourceScopeIds();
    const resourceScopes = resourceScopeRows(writes, ids);
    const summaries = upsertTraceSummariesQuery(summariseSpans(writes));
    const red = this.#redRollups ? summariseRed(writes) : { minutes: [], hours: [] };
    await copyInto(client, copySpansSql, copyChunks(spanColumns, spanCopyRows(writes, ids)));
    const remember = await this.#resourceScopes.write(client, resourceScopes);
    await client.query(summaries.text, summaries.values);
    for (const rollup of [upsertRedRollupsQuery('red_minutes', red.minutes), upsertRedRollupsQuery('red_hours', red.hours)]) {
      if (rollup !== null) await client.query(rollup.text, rollup.values);
    }
    return remember;
  }

  partitionsChanged(table?: PartitionedTable): void {
    this.#resourceScopes.partitionsChanged(table);
  }
}

/** The spans rows of many writes' spans; `ids` gives each span's resource_scopes id. */
export function* spanCopyRows(writes: readonly SiteRows<SpanRow>[], ids: ResourceScopeIds): Generator<SpanCopyRow> {
  for (const { siteId, rows } of writes) {
    for (const { row } of rows) yield { siteId, span: row, resourceScopeId: ids.of(row).id };
  }
}
