import { parseArgs } from 'node:util';
import { ConfigError, readConfig, type ConfigFlags } from '../config.ts';
import { createLogger } from '../logger.ts';
import { runCitusCommand } from './citus-command.ts';
import { runCollectCommand } from './collect-command.ts';
import { runKeysCommand } from './keys-command.ts';
import { runMigrateCommand } from './migrate-command.ts';
import { runServeCommand } from './serve-command.ts';
import { runSitesCommand } from './sites-command.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { usage } from './usage.ts';

const options = {
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  'otlp-http-port': { type: 'string' },
  'otlp-grpc-port': { type: 'string' },
  'api-port': { type: 'string' },
  'no-ingest': { type: 'boolean' },
  name: { type: 'string' },
  domain: { type: 'string', multiple: true },
  timezone: { type: 'string' },
  'exclude-ip': { type: 'string', multiple: true },
  'exclude-country': { type: 'string', multiple: true },
  site: { type: 'string' },
  scopes: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(usage);
    return command === undefined && !values.help ? 2 : 0;
  }

  const flags: ConfigFlags = {
    'data-dir': values['data-dir'],
    host: values.host,
    'otlp-http-port': values['otlp-http-port'],
    'otlp-grpc-port': values['otlp-grpc-port'],
    'api-port': values['api-port'],
    'no-ingest': values['no-ingest'],
  };
  try {
    const config = readConfig(flags);
    const logger = createLogger(config.logLevel);
    const context: CommandContext = { config, logger, args: rest, values, out: (line) => process.stdout.write(`${line}\n`) };
    switch (command) {
      case 'serve':
        return await runServeCommand(context);
      case 'collect':
        return await runCollectCommand(context);
      case 'migrate':
        return await runMigrateCommand(context);
      case 'sites':
        return await runSitesCommand(context);
      case 'keys':
        return await runKeysCommand(context);
      case 'citus':
        return await runCitusCommand(context);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`justanalytics: ${error.message}\n\n${usage}`);
      return 2;
    }
    // One line that says what to do, never a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`justanalytics: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}
