// Test doubles shared by the receiver tests (not a test file itself): a sink
// that holds writes until told, and a budget that remembers its peak.
import { MemoryBudget } from '../../src/receivers/memory-budget.ts';
import type { RowBatch, Sink, WriteResult } from '../../src/sink/sink.ts';

/** A sink whose writes wait until open() is called; it counts the writes waiting and keeps what it wrote. */
export class GatedSink implements Sink {
  waiting = 0;
  readonly written: RowBatch[] = [];
  readonly #gate = Promise.withResolvers<void>();
  #arrivals: (() => void)[] = [];

  async write(batch: RowBatch): Promise<WriteResult> {
    this.waiting++;
    for (const arrived of this.#arrivals.splice(0)) arrived();
    await this.#gate.promise;
    this.waiting--;
    this.written.push(batch);
    return { rejected: 0, message: '' };
  }

  /** Resolves once `count` writes are waiting. */
  async waitFor(count: number): Promise<void> {
    while (this.waiting < count) await new Promise<void>((resolve) => this.#arrivals.push(resolve));
  }

  open(): void {
    this.#gate.resolve();
  }
}

/** A budget that remembers the most it ever had reserved. */
export class PeakBudget extends MemoryBudget {
  peak = 0;

  override tryReserve(bytes: number, held = 0): boolean {
    const granted = super.tryReserve(bytes, held);
    this.peak = Math.max(this.peak, this.reserved);
    return granted;
  }
}
