import { pino, type Logger } from 'pino';

/**
 * The process logger. It writes to stderr so that stdout stays free for command
 * output (`--json`). Authorization headers are redacted wherever they appear.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'justanalytics' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}
