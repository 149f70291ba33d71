import type { RowBatch, Sink, WriteResult } from './sink.ts';

/** Accepts and drops every batch: for benchmarks of the receive path alone. */
export class NopSink implements Sink {
  async write(_batch: RowBatch): Promise<WriteResult> {
    return { rejected: 0, message: '' };
  }
}
