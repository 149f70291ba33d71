import type { CommandContext } from './command-context.ts';
import { withDatabase } from './with-database.ts';

export async function runMigrateCommand(context: CommandContext): Promise<number> {
  await withDatabase(context, async () => undefined);
  if (context.values.json) context.out(JSON.stringify({ migrated: true }));
  else context.out('database schema is up to date');
  return 0;
}
