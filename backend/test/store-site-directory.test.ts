// The site directory (every site's analytics settings in memory): a change
// made through updateSite in another connection reaches a started directory
// by NOTIFY, without a lookup or the periodic reload; a site made a moment
// ago is found on a miss; and updateSite's validation refuses bad settings,
// changing nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { SiteDirectory } from '../src/store/site-directory.ts';
import { createSite, getSite, updateSite } from '../src/store/sites.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;

/** Polls until `check` holds; a notification normally arrives in milliseconds, the bound only ends a broken run. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}

t.test('a started directory hears of updates by NOTIFY', async (t) => {
  const site = await createSite(db, { name: 'shop', domains: ['shop.example'] });
  // A reload interval of an hour: only the announcement can bring the change.
  const directory = new SiteDirectory(db, { connectionString: url, reloadIntervalMs: 3_600_000 });
  await directory.start();
  t.teardown(() => directory.close());
  t.same(await directory.lookup(site.id), { siteId: site.id, domains: ['shop.example'], timezone: 'UTC', excludedIps: [], excludedCountries: [] });
  const loads = directory.loads;

  await updateSite(db, site.id, { domains: ['shop.example', 'Blog.Example.'], timezone: 'Asia/Kolkata', excludedIps: ['203.0.113.7', '2001:db8::/32'], excludedCountries: ['de'] });
  t.ok(await eventually(() => directory.loads > loads), 'reloaded on the announcement');
  t.same(await directory.lookup(site.id), {
    siteId: site.id,
    domains: ['shop.example', 'blog.example'],
    timezone: 'Asia/Kolkata',
    excludedIps: ['203.0.113.7', '2001:db8::/32'],
    excludedCountries: ['DE'],
  });
  // A rolled-back update announces nothing.
  const before = directory.loads;
  await db
    .transaction()
    .execute(async (trx) => {
      await updateSite(trx, site.id, { timezone: 'Europe/Berlin' });
      throw new Error('roll back');
    })
    .catch(() => undefined);
  await updateSite(db, site.id, { name: 'shop 2' });
  t.ok(await eventually(() => directory.loads > before));
  t.equal((await directory.lookup(site.id))?.timezone, 'Asia/Kolkata');
});

t.test('an unknown site is looked for once more; a malformed ID never', async (t) => {
  const directory = new SiteDirectory(db, { reloadIntervalMs: 3_600_000 });
  await directory.lookup('1');
  const site = await createSite(db, { name: 'new' });
  t.equal((await directory.lookup(site.id))?.siteId, site.id, 'found by the reload a miss makes');
  const loads = directory.loads;
  t.equal(await directory.lookup('99999999'), null);
  t.equal(await directory.lookup('99999998'), null);
  t.ok(directory.loads <= loads + 1, 'misses reload at most once a second');
  t.equal(await directory.lookup('abc'), null);
  t.equal(await directory.lookup(''), null);
});

t.test('updateSite validates every setting and changes nothing when one is bad', async (t) => {
  const site = await createSite(db, { name: 'valid' });
  for (const [update, message] of [
    [{ timezone: 'Mars/Olympus' }, /not an IANA time zone/],
    [{ timezone: '+05:30' }, /not an IANA time zone/],
    [{ excludedIps: ['203.0.113.7', '300.1.2.3'] }, /"300.1.2.3" is not an IP address or CIDR/],
    [{ excludedIps: ['10.0.0.0/33'] }, /not an IP address or CIDR/],
    [{ excludedIps: ['2001:db8::/129'] }, /not an IP address or CIDR/],
    [{ excludedCountries: ['XX'] }, /not an ISO 3166-1 alpha-2/],
    [{ excludedCountries: ['DEU'] }, /not an ISO 3166-1 alpha-2/],
    [{ domains: ['https://shop.example/'] }, /not a hostname/],
    [{ domains: ['shop example'] }, /not a hostname/],
    [{ name: '  ' }, /needs a name/],
  ] as const) {
    await t.rejects(updateSite(db, site.id, { ...update, timezone: 'timezone' in update ? update.timezone : 'Europe/Berlin' }), message);
  }
  t.same(await getSite(db, site.id), site, 'unchanged');
  t.equal(await updateSite(db, '99999999', { name: 'x' }), null, 'no such site');
  const updated = await updateSite(db, site.id, { timezone: 'America/St_Johns', excludedIps: ['10.0.0.0/8', '10.0.0.0/8'], excludedCountries: [' us '] });
  t.match(updated, { timezone: 'America/St_Johns', excludedIps: ['10.0.0.0/8'], excludedCountries: ['US'], name: 'valid' });
});
