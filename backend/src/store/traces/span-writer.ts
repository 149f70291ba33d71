import type { SpanRow } from '@justanalytics/collector';
import type pg from 'pg';
import type { PartitionedTable } from '../../db/partitions.ts';
import { copyLine } from '../../db/tables/columns.ts';
import { copySpansSql, spanColumns, type SpanCopyRow } from '../../db/tables/spans.ts';
import { copyInto } from '../copy-into.ts';
import { ResourceScopeIds, resourceScopeRows, ResourceScopeWriter } from '../resource-scopes.ts';
import type { Admission, AfterCommit, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';
import { admitSpans } from './span-admission.ts';
import { summariseSpans, upsertTraceSummariesQuery } from './trace-summaries.ts';

/**
 * The traces signal's writer: per flush one COPY into spans, one insert of
 * the (resource, scope) pairs not written before, and one upsert of the trace
 * summaries.
 */
export class SpanWriter implements SignalWriter<SpanRow> {
  readonly tables: readonly PartitionedTable[] = ['spans', 'trace_summaries', 'resource_scopes'];
  readonly #resourceScopes: ResourceScopeWriter;

  constructor(resourceScopes = new ResourceScopeWriter()) {
    this.#resourceScopes = resourceScopes;
  }

  admit(rows: readonly SpanRow[], window: DayWindow): Admission<SpanRow> {
    return admitSpans(rows, window);
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<SpanRow>[]): Promise<AfterCommit> {
    const ids = new ResourceScopeIds();
    const resourceScopes = resourceScopeRows(writes, ids);
    const summaries = upsertTraceSummariesQuery(summariseSpans(writes));
    await copyInto(client, copySpansSql, spanCopyChunks(writes, ids));
    const remember = await this.#resourceScopes.write(client, resourceScopes);
    await client.query(summaries.text, summaries.values);
    return remember;
  }

  partitionsChanged(table?: PartitionedTable): void {
    this.#resourceScopes.partitionsChanged(table);
  }
}

/**
 * COPY text for many writes' spans in chunks of about `chunkChars`, so a large
 * flush is never one huge string. `ids` gives each row's resource_scopes id.
 */
export function* spanCopyChunks(writes: readonly SiteRows<SpanRow>[], ids: ResourceScopeIds, chunkChars = 256 * 1024): Generator<string> {
  let chunk = '';
  for (const { siteId, rows } of writes) {
    for (const { row } of rows) {
      const copyRow: SpanCopyRow = { siteId, span: row, resourceScopeId: ids.of(row).id };
      chunk += copyLine(spanColumns, copyRow);
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}
