import type { BaseLogger } from 'pino';
import { TooManyFailedAuthentications } from './authenticate.ts';
import type { ReceiverError } from './errors.ts';

/**
 * Logs a failed export or call once, at the level its kind deserves: a bug at
 * error, a retryable refusal (overload, storage down) at warn with its cause,
 * a client's own mistake at debug. Refusals for too many failed
 * authentications are the client's mistake too, so that a flood of bad keys
 * is not a flood of warnings.
 */
export function logFailure(
  log: Pick<BaseLogger, 'error' | 'warn' | 'debug'>,
  error: unknown,
  classified: ReceiverError,
  fields: Record<string, unknown> = {},
): void {
  if (classified.kind === 'internal') {
    log.error({ ...fields, err: error }, 'export failed');
  } else if (classified.retryAfterSeconds !== null && !(classified.cause instanceof TooManyFailedAuthentications)) {
    log.warn({ ...fields, kind: classified.kind, retryAfterSeconds: classified.retryAfterSeconds, err: classified.cause }, classified.message);
  } else {
    log.debug({ ...fields, kind: classified.kind }, classified.message);
  }
}
