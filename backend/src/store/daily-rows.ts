import type pg from 'pg';
import type { PartitionedTable } from '../db/partitions.ts';
import type { ParameterisedQuery } from './parameterised-query.ts';
import type { AfterCommit } from './signal-writer.ts';

/**
 * A row of a per-day reference table (resource_scopes, metric_series): the
 * same content under one id on every UTC day it is used, inserted with ON
 * CONFLICT DO NOTHING so that retention drops it with the rows that use it.
 */
export interface DailyRow {
  /** Site, id and day: the table's primary key as text. */
  key: string;
}

/**
 * The rows of one such table this process has committed, so that a flush
 * sends only the new ones. Bounded: past maxKeys it starts again from empty
 * (the insert tolerates rows that exist). It must be cleared whenever a
 * partition may have been dropped and made again, or rows would refer to rows
 * that are gone.
 */
export class WrittenDailyRows<Row extends DailyRow> {
  readonly #keys = new Set<string>();
  readonly #maxKeys: number;
  #generation = 0;

  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** The rows not known to be in the table. */
  unwritten(rows: readonly Row[]): Row[] {
    return rows.filter((row) => !this.#keys.has(row.key));
  }

  /** Changes on every clear(); taken before a flush starts and handed to add(). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Call after the COMMIT that wrote them, with the generation taken before
   * the flush: when a clear() came in between (a partition dropped meanwhile,
   * perhaps under these very rows), they are not remembered.
   */
  add(rows: readonly Row[], generation: number): void {
    if (generation !== this.#generation) return;
    if (this.#keys.size + rows.length > this.#maxKeys) this.#keys.clear();
    for (const row of rows) this.#keys.add(row.key);
  }

  clear(): void {
    this.#keys.clear();
    this.#generation++;
  }
}

/**
 * The per-day reference table side of a signal writer: it writes a flush's
 * rows not committed before and remembers them once committed. Writers may
 * share one memory (spans, logs and metrics share resource_scopes'); two
 * writers sending the same row once each is harmless, the insert skipping
 * rows that exist.
 */
export class DailyRowWriter<Row extends DailyRow> {
  readonly #table: PartitionedTable;
  readonly #insert: (rows: readonly Row[]) => ParameterisedQuery;
  readonly #written: WrittenDailyRows<Row>;

  constructor(table: PartitionedTable, insert: (rows: readonly Row[]) => ParameterisedQuery, written: WrittenDailyRows<Row>) {
    this.#table = table;
    this.#insert = insert;
    this.#written = written;
  }

  /**
   * Call after the flush's own COPY of the rows that refer to these. Which
   * rows are new is decided then: a partition dropped and made again by
   * another flush before that COPY has cleared the memory by now (the COPY
   * could not have gone into the new partition otherwise), and one dropped
   * later waits for this COMMIT and takes these rows with it. Also, the new
   * rows' locks are then held only until the COMMIT. The returned callback is
   * for after it.
   */
  async write(client: pg.PoolClient, rows: readonly Row[]): Promise<AfterCommit> {
    const generation = this.#written.generation;
    const fresh = this.#written.unwritten(rows);
    if (fresh.length > 0) {
      const insert = this.#insert(fresh);
      await client.query(insert.text, insert.values);
    }
    return () => this.#written.add(fresh, generation);
  }

  /** A partition of the table made now may replace one that held rows remembered as written. */
  partitionsChanged(table?: PartitionedTable): void {
    if (table === undefined || table === this.#table) this.#written.clear();
  }
}
