import { ReceiverError } from './errors.ts';

/**
 * Counts running exports so shutdown can wait for them: an export that has
 * started is allowed to reach its sink's commit, so nothing acknowledged, or
 * about to be, is lost. Once closed, new exports are refused as unavailable
 * (retryable), for the client to send them to a live instance. Closing has a
 * deadline: exports still running then are answered as unavailable too, so a
 * stalled client or a stuck sink cannot hold shutdown forever; what they were
 * writing may still be committed, and the client's retry then stores it again
 * (at-least-once, as DESIGN.md says of every retry).
 */
export class InFlight {
  #running = 0;
  #closed = false;
  #idle: PromiseWithResolvers<void> | null = null;
  /**
   * Each running export's own cut-off, rejected at the close deadline. Not
   * one shared promise: every race against a promise that never settles
   * leaves its reaction on it, so a shared one kept each export's
   * continuation alive for the life of the process (the server's RSS grew
   * 22 MiB a minute under load).
   */
  readonly #cutOffs = new Set<(error: ReceiverError) => void>();
  #deadline: NodeJS.Timeout | null = null;

  get running(): number {
    return this.#running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ReceiverError('unavailable', 'the collector is shutting down, retry later');
    this.#running++;
    const cutOff = Promise.withResolvers<never>();
    // Rejected at most once, while its export races it; never left unheard.
    cutOff.promise.catch(() => undefined);
    this.#cutOffs.add(cutOff.reject);
    try {
      return await Promise.race([work(), cutOff.promise]);
    } finally {
      this.#cutOffs.delete(cutOff.reject);
      this.#running--;
      if (this.#running === 0) this.#becameIdle();
    }
  }

  /**
   * Refuses new exports and resolves once the running ones have finished, or
   * once `deadlineMs` has passed and they have been answered as unavailable.
   * A second call does not move the first one's deadline.
   */
  close(deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (!(deadlineMs >= 0)) throw new RangeError(`InFlight.close: deadlineMs must be a non-negative number, got ${String(deadlineMs)}`);
    this.#closed = true;
    if (this.#running === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    if (this.#deadline === null && Number.isFinite(deadlineMs)) {
      this.#deadline = setTimeout(() => {
        const error = new ReceiverError('unavailable', 'the collector shut down before this export finished, retry later');
        for (const reject of this.#cutOffs) reject(error);
      }, deadlineMs);
    }
    return this.#idle.promise;
  }

  #becameIdle(): void {
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#idle?.resolve();
  }
}
