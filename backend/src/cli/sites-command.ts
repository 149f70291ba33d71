import { createSite, listSites, updateSite, type Site, type SiteUpdate } from '../store/sites.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { withDatabase } from './with-database.ts';

export async function runSitesCommand(context: CommandContext): Promise<number> {
  const [action, id] = context.args;
  const { values, out } = context;
  switch (action) {
    case 'create': {
      if (!values.name) throw new UsageError('sites create needs --name');
      const domains = listOption(values.domain);
      const site = await withDatabase(context, (db) => settingsErrors(() => createSite(db, { name: values.name!, domains, timezone: values.timezone })));
      out(values.json ? JSON.stringify(site) : `created site ${site.id} (${site.name})`);
      return 0;
    }
    case 'list': {
      const sites = await withDatabase(context, (db) => listSites(db));
      if (values.json) out(JSON.stringify({ sites }));
      else for (const site of sites) out(`${site.id}\t${site.name}\t${site.domains.join(',')}\t${site.timezone}`);
      return 0;
    }
    case 'update': {
      if (id === undefined) throw new UsageError('sites update needs the site ID');
      const update: SiteUpdate = {
        name: values.name,
        domains: listOption(values.domain),
        timezone: values.timezone,
        excludedIps: listOption(values['exclude-ip']),
        excludedCountries: listOption(values['exclude-country']),
      };
      const site = await withDatabase(context, (db) => settingsErrors(() => updateSite(db, id, update)));
      if (site === null) throw new Error(`no site ${id}`);
      out(values.json ? JSON.stringify(site) : describe(site));
      return 0;
    }
    default:
      throw new UsageError(action ? `unknown sites action "${action}"` : 'sites needs an action: create, list or update');
  }
}

/** A repeatable option's values; a lone '' empties the list. */
function listOption(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.every((value) => value.trim() === '') ? [] : values;
}

/** A setting refused by validation is a usage error: main prints it with the usage. */
async function settingsErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function describe(site: Site): string {
  const list = (values: string[]): string => (values.length === 0 ? '(none)' : values.join(', '));
  return [
    `updated site ${site.id} (${site.name})`,
    `  domains: ${list(site.domains)}`,
    `  timezone: ${site.timezone}`,
    `  excluded IPs: ${list(site.excludedIps)}`,
    `  excluded countries: ${list(site.excludedCountries)}`,
  ].join('\n');
}
