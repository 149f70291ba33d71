import type { RowBatch, Sink, SignalRows, WriteResult } from './sink.ts';

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

  /** Every row of one signal written (by default spans), across batches, in order. */
  rows<S extends keyof SignalRows = 'traces'>(signal: S = 'traces' as S): SignalRows[S][] {
    const rows: SignalRows[S][] = [];
    // The batch's signal names its rows' type; TypeScript cannot follow that through the union.
    for (const batch of this.batches) if (batch.signal === signal) rows.push(...(batch.rows as SignalRows[S][]));
    return rows;
  }
}
