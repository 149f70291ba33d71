import type { Logger } from 'pino';

/**
 * Waits for SIGINT, SIGTERM or SIGHUP, then for `shutdown` (no new requests,
 * what is in flight committed). A second signal exits at once.
 */
export async function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      signalled = true;
      logger.info({ signal }, 'shutting down: no new requests, committing what is in flight');
      shutdown().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });
}
