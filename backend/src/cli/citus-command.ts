import { assertCitusInstalled, distributeSchema } from '../db/citus.ts';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatestOrThrow } from '../db/migrate.ts';
import { UsageError, type CommandContext } from './command-context.ts';

/** `citus enable`: distributes the schema over a Citus cluster (db/citus.ts). Idempotent. */
export async function runCitusCommand(context: CommandContext): Promise<number> {
  const [action] = context.args;
  if (action !== 'enable') throw new UsageError(action ? `unknown citus action "${action}"` : 'citus needs an action: enable');
  const { values, out } = context;
  const handle = await openDatabase({
    databaseUrl: context.config.databaseUrl,
    dataDir: context.config.dataDir,
    logger: context.logger,
    poolSize: 2,
  });
  try {
    // Checked before migrating, so a database without Citus is left as it was.
    await assertCitusInstalled(handle.db);
    await migrateToLatestOrThrow(handle.db);
    const result = await distributeSchema(handle.db);
    if (values.json) out(JSON.stringify(result));
    else {
      for (const object of result.applied) out(`distributed ${object}`);
      out(`Citus: ${result.applied.length} step(s) run, ${result.alreadyDone.length} already done`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}
