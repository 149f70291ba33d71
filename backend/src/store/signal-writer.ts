import type pg from 'pg';
import type { PartitionedTable } from '../db/partitions.ts';

/** A row the store will write, with the UTC day (days since the epoch) that picks its partitions. */
export interface AdmittedRow<Row> {
  row: Row;
  day: number;
}

/** Admitted rows of one site, as one write handed them over. */
export interface SiteRows<Row> {
  siteId: string;
  rows: readonly AdmittedRow<Row>[];
}

export interface Admission<Row> {
  accepted: AdmittedRow<Row>[];
  rejected: number;
  /** Why rows were rejected, for OTLP partial_success; empty when none were. */
  message: string;
}

/** The UTC days whose partitions may receive rows: the signal's retention behind, a little ahead. */
export interface DayWindow {
  firstDay: number;
  lastDay: number;
}

/** Run once the flush's transaction has committed (never after a rollback). */
export type AfterCommit = () => void;

/**
 * What the group-commit sink (postgres-sink.ts) needs to know of one signal.
 * The sink queues, merges, retries and commits; the writer decides which rows
 * can be stored and writes a flush's rows of its signal inside the flush's
 * transaction. A flush may hold several signals' writes and commits them
 * together.
 */
export interface SignalWriter<Row> {
  /** The partitioned tables `write` puts rows into; the sink makes their partitions for the admitted days first. */
  readonly tables: readonly PartitionedTable[];
  /** Splits a batch into rows to store (with their partition day) and rows refused, never failing the batch. */
  admit(rows: readonly Row[], window: DayWindow): Admission<Row>;
  /**
   * Writes the rows of one flush (COPY, upserts) on `client`, inside a
   * transaction the sink opened and will commit or roll back. Rows are
   * already storable: the collector sanitised them and `admit` took them.
   */
  write(client: pg.PoolClient, writes: readonly SiteRows<Row>[]): Promise<AfterCommit | undefined>;
  /**
   * A partition of `table` was made (perhaps again, after retention dropped
   * it), or, with no table, any may have been: forget whatever the writer
   * remembers of rows already written.
   */
  partitionsChanged?(table?: PartitionedTable): void;
}

/** A batch shape the sink can take: the collector's RowBatch, or a test's own. */
export interface AnyBatch {
  signal: string;
  siteId: string;
  rows: readonly unknown[];
}

/** One writer per signal of the batch type. */
export type SignalWriters<Batch extends AnyBatch> = { [S in Batch['signal']]: SignalWriter<Extract<Batch, { signal: S }>['rows'][number]> };
