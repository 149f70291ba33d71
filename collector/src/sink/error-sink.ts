import type { RowBatch, Sink, WriteResult } from './sink.ts';

/**
 * Rejects every write with the given error (a SinkOverloadedError, a
 * SinkUnavailableError, or anything else): for tests of how receivers answer
 * storage failures.
 */
export class ErrorSink implements Sink {
  readonly #error: Error;
  /** How many writes were attempted. */
  writes = 0;

  constructor(error: Error) {
    this.#error = error;
  }

  async write(_batch: RowBatch): Promise<WriteResult> {
    this.writes++;
    throw this.#error;
  }
}
