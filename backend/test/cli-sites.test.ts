// `justanalytics sites create|update|list` on a server database: several
// --domain options, the analytics settings changed (lists replaced, '' alone
// empties one), and bad settings refused with the reason and exit code 2,
// leaving the site as it was.
import { execFile } from 'node:child_process';
import t from 'tap';
import { createTestDatabase } from './helpers/test-database.ts';

const bin = new URL('../bin/justanalytics.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface SiteJson {
  id: string;
  name: string;
  domains: string[];
  timezone: string;
  excludedIps: string[];
  excludedCountries: string[];
}

t.test('sites create and update', async (t) => {
  const { url } = await createTestDatabase(t);
  const env = { DATABASE_URL: url };

  const created = await run(['sites', 'create', '--name', 'shop', '--domain', 'shop.example', '--domain', 'shop.test', '--json'], env);
  t.equal(created.code, 0, created.stderr);
  const site = JSON.parse(created.stdout) as SiteJson;
  t.match(site, { name: 'shop', domains: ['shop.example', 'shop.test'], timezone: 'UTC', excludedIps: [], excludedCountries: [] });

  const updated = await run(
    ['sites', 'update', site.id, '--timezone', 'Asia/Kathmandu', '--exclude-ip', '203.0.113.0/24', '--exclude-ip', '2001:db8::1', '--exclude-country', 'fr', '--json'],
    env,
  );
  t.equal(updated.code, 0, updated.stderr);
  t.match(JSON.parse(updated.stdout) as SiteJson, {
    id: site.id,
    name: 'shop',
    domains: ['shop.example', 'shop.test'],
    timezone: 'Asia/Kathmandu',
    excludedIps: ['203.0.113.0/24', '2001:db8::1'],
    excludedCountries: ['FR'],
  });

  const renamed = await run(['sites', 'update', site.id, '--name', 'Shop', '--domain', 'www.shop.example', '--exclude-ip', ''], env);
  t.equal(renamed.code, 0, renamed.stderr);
  t.match(renamed.stdout, /updated site \d+ \(Shop\)\n {2}domains: www\.shop\.example\n {2}timezone: Asia\/Kathmandu\n {2}excluded IPs: \(none\)\n {2}excluded countries: FR\n/);

  const bad = await run(['sites', 'update', site.id, '--timezone', 'Asia/Atlantis'], env);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /"Asia\/Atlantis" is not an IANA time zone/);
  const badIp = await run(['sites', 'update', site.id, '--exclude-ip', '203.0.113.300'], env);
  t.equal(badIp.code, 2);
  t.match(badIp.stderr, /"203.0.113.300" is not an IP address or CIDR range/);
  const badDomain = await run(['sites', 'create', '--name', 'x', '--domain', 'https://x.example'], env);
  t.equal(badDomain.code, 2);
  t.match(badDomain.stderr, /not a hostname/);

  const missing = await run(['sites', 'update', '424242', '--name', 'x'], env);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no site 424242/);
  const noId = await run(['sites', 'update'], env);
  t.equal(noId.code, 2);

  const listed = await run(['sites', 'list', '--json'], env);
  const { sites } = JSON.parse(listed.stdout) as { sites: SiteJson[] };
  t.same(
    sites.map((s) => [s.name, s.domains, s.timezone, s.excludedIps, s.excludedCountries]),
    [['Shop', ['www.shop.example'], 'Asia/Kathmandu', [], ['FR']]],
    'the refused updates changed nothing',
  );
});
