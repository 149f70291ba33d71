import { ReceiverError } from './errors.ts';

/**
 * Counts running exports so shutdown can wait for them: an export that has
 * started is allowed to reach its sink's commit, so nothing acknowledged, or
 * about to be, is lost. Once closed, new exports are refused as unavailable
 * (retryable), for the client to send them to a live instance.
 */
export class InFlight {
  #running = 0;
  #closed = false;
  #idle: PromiseWithResolvers<void> | null = null;

  get running(): number {
    return this.#running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ReceiverError('unavailable', 'the collector is shutting down, retry later');
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      if (this.#running === 0) this.#idle?.resolve();
    }
  }

  /** Refuses new exports and resolves once the running ones have finished. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#running === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }
}
