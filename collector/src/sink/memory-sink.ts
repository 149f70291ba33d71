import type { RowBatch, Sink, WriteResult } from './sink.ts';

/**
 * Keeps every batch in memory, in write order. For tests: what a receiver
 * wrote can be read back without a database.
 */
export class MemorySink implements Sink {
  readonly batches: RowBatch[] = [];
  readonly #result: (batch: RowBatch) => WriteResult;

  /** `result` decides the WriteResult of each batch; by default nothing is rejected. */
  constructor(options: { result?: (batch: RowBatch) => WriteResult } = {}) {
    this.#result = options.result ?? (() => ({ rejected: 0, message: '' }));
  }

  async write(batch: RowBatch): Promise<WriteResult> {
    this.batches.push(batch);
    return this.#result(batch);
  }

  /** Every row written, across batches, in order. */
  rows(): RowBatch['rows'] {
    return this.batches.flatMap((batch) => batch.rows);
  }
}
