import type { Logger } from 'pino';
import type { Config } from '../config.ts';

export interface CommandContext {
  config: Config;
  logger: Logger;
  /** Positional arguments after the command name. */
  args: string[];
  values: {
    name?: string;
    domain?: string[];
    timezone?: string;
    'exclude-ip'?: string[];
    'exclude-country'?: string[];
    site?: string;
    scopes?: string;
    json?: boolean;
  };
  /** Writes one line of command output to stdout (logs go to stderr). */
  out(line: string): void;
}

/** A command line that cannot be run as given; main prints the usage with it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
