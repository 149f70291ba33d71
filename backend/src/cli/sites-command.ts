import { createSite, listSites } from '../store/sites.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { withDatabase } from './with-database.ts';

export async function runSitesCommand(context: CommandContext): Promise<number> {
  const [action] = context.args;
  const { values, out } = context;
  switch (action) {
    case 'create': {
      if (!values.name) throw new UsageError('sites create needs --name');
      const site = await withDatabase(context, (db) => createSite(db, { name: values.name!, domain: values.domain ?? null }));
      out(values.json ? JSON.stringify(site) : `created site ${site.id} (${site.name})`);
      return 0;
    }
    case 'list': {
      const sites = await withDatabase(context, (db) => listSites(db));
      if (values.json) out(JSON.stringify({ sites }));
      else for (const site of sites) out(`${site.id}\t${site.name}\t${site.domain ?? ''}`);
      return 0;
    }
    default:
      throw new UsageError(action ? `unknown sites action "${action}"` : 'sites needs an action: create or list');
  }
}
