import type { Logger } from 'pino';

/** A job running on a timer in this process. */
export interface PeriodicJob {
  /** Settles after the first run (its errors are logged, not thrown). */
  ready: Promise<void>;
  /** Stops the timer and waits for a run under way. Safe twice. */
  stop(): Promise<void>;
}

/**
 * Runs `run` now and then every `intervalMs` until stopped. Never two runs of
 * this process at once: a tick during a slow run is skipped. A failed run is
 * logged and tried again on the next tick. What several processes must not do
 * twice, `run` guards itself (an advisory lock).
 */
export function startPeriodicJob(name: string, intervalMs: number, logger: Logger, run: () => Promise<void>): PeriodicJob {
  let current: Promise<void> | null = null;
  let stopped = false;

  const runOnce = (): Promise<void> => {
    if (current !== null || stopped) return current ?? Promise.resolve();
    current = run()
      .catch((error: unknown) => logger.error({ err: error }, `${name} failed; it will be tried again`))
      .finally(() => {
        current = null;
      });
    return current;
  };

  const ready = runOnce();
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref(); // a job alone must not keep the process alive

  return {
    ready,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
