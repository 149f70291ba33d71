import { assertCitusInstalled, distributeSchema } from '../db/citus.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { withDatabase } from './with-database.ts';

/** `citus enable`: distributes the schema over a Citus cluster (db/citus.ts). Idempotent. */
export async function runCitusCommand(context: CommandContext): Promise<number> {
  const [action] = context.args;
  if (action !== 'enable') throw new UsageError(action ? `unknown citus action "${action}"` : 'citus needs an action: enable');
  const { values, out } = context;
  // Citus is checked before migrating, so a database without it is left as it was.
  const result = await withDatabase(context, distributeSchema, assertCitusInstalled);
  if (values.json) out(JSON.stringify(result));
  else {
    for (const object of result.applied) out(`distributed ${object}`);
    out(`Citus: ${result.applied.length} step(s) run, ${result.alreadyDone.length} already done`);
  }
  return 0;
}
