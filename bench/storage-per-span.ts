// Bytes on disk per stored span: every table the span writer fills, heap
// (with TOAST) and indexes apart, over the spans rows counted. Read after the
// span phases, once a CHECKPOINT has written what they dirtied.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../backend/src/db/database.ts';

export interface SpanStorage {
  spans: number;
  bytesPerSpan: number;
  tables: Array<{ table: string; heapBytesPerSpan: number; indexBytesPerSpan: number; indexes: Array<{ index: string; bytesPerSpan: number }> }>;
}

/** The span writer's tables (store/traces/span-writer.ts) and the service map's edge rollup. */
const spanTables = ['spans', 'trace_summaries', 'resource_scopes', 'red_minutes', 'red_hours', 'service_edge_minutes'];

export async function storagePerSpan(db: Kysely<Database>): Promise<SpanStorage> {
  await sql`CHECKPOINT`.execute(db);
  const { rows: counted } = await sql<{ n: string }>`SELECT count(*) AS n FROM spans`.execute(db);
  const spans = Number(counted[0]?.n ?? 0);
  // Partitions' sizes summed per parent table, and per parent index.
  const { rows } = await sql<{ parent: string; heap: string; index_name: string | null; index_bytes: string | null }>`
    WITH part AS (
      SELECT parent.relname AS parent, c.oid
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent
      WHERE parent.relname = ANY(${spanTables}::text[])
      UNION ALL
      SELECT c.relname, c.oid FROM pg_class c WHERE c.relname = ANY(${spanTables}::text[]) AND c.relkind = 'r'
    ), heap AS (
      SELECT parent, sum(pg_table_size(oid))::text AS heap FROM part GROUP BY parent
    ), idx AS (
      SELECT part.parent, coalesce(pi.relname, ic.relname) AS index_name, sum(pg_relation_size(ix.indexrelid))::text AS index_bytes
      FROM part JOIN pg_index ix ON ix.indrelid = part.oid JOIN pg_class ic ON ic.oid = ix.indexrelid
      LEFT JOIN pg_inherits ii ON ii.inhrelid = ix.indexrelid LEFT JOIN pg_class pi ON pi.oid = ii.inhparent
      GROUP BY part.parent, coalesce(pi.relname, ic.relname)
    )
    SELECT heap.parent, heap.heap, idx.index_name, idx.index_bytes FROM heap LEFT JOIN idx USING (parent) ORDER BY heap.parent, idx.index_name`.execute(db);
  const per = (bytes: number): number => (spans === 0 ? 0 : Math.round(bytes / spans));
  const tables = new Map<string, { heap: number; indexes: Array<{ index: string; bytes: number }> }>();
  for (const row of rows) {
    const table = tables.get(row.parent) ?? { heap: Number(row.heap), indexes: [] };
    if (row.index_name !== null) table.indexes.push({ index: row.index_name, bytes: Number(row.index_bytes) });
    tables.set(row.parent, table);
  }
  let total = 0;
  const out: SpanStorage['tables'] = [];
  for (const [table, { heap, indexes }] of tables) {
    const indexBytes = indexes.reduce((sum, index) => sum + index.bytes, 0);
    total += heap + indexBytes;
    out.push({
      table,
      heapBytesPerSpan: per(heap),
      indexBytesPerSpan: per(indexBytes),
      indexes: indexes.map((index) => ({ index: index.index, bytesPerSpan: per(index.bytes) })),
    });
  }
  out.sort((a, b) => b.heapBytesPerSpan + b.indexBytesPerSpan - (a.heapBytesPerSpan + a.indexBytesPerSpan));
  return { spans, bytesPerSpan: per(total), tables: out };
}
