// Sites and API keys: creation and listing, keys stored only as a SHA-256 with
// a display prefix, revocation, the change announced at commit (never on
// rollback), the default site's two keys, and the resolver without start()
// (keys loaded once on first use, malformed keys refused without a query, a
// failing database not queried again for every request). The listening
// resolver is covered by api-key-revocation.test.ts.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { API_KEY_CHANGES_CHANNEL } from '../src/store/api-key-changes.ts';
import { ApiKeyResolver, UnknownSiteError, createApiKey, listApiKeys, revokeApiKey } from '../src/store/api-keys.ts';
import { ensureDefaultSite } from '../src/store/default-site.ts';
import { createSite, getSite, listSites } from '../src/store/sites.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;

t.test('sites are created, listed and found by ID', async (t) => {
  const shop = await createSite(db, { name: '  Shop  ', domains: ['shop.example'] });
  const blog = await createSite(db, { name: 'Blog' });
  t.match(shop, { id: /^[1-9][0-9]*$/, name: 'Shop', domains: ['shop.example'], timezone: 'UTC' });
  t.ok(shop.createdAt instanceof Date);
  t.same(blog.domains, []);
  t.same(await getSite(db, shop.id), shop);
  t.equal(await getSite(db, '999999'), null);
  t.equal(await getSite(db, 'not-a-number'), null, 'a malformed ID is not found, not a database error');
  t.equal(await getSite(db, '99999999999999999999'), null, 'an ID beyond bigint is not found');
  const listed = await listSites(db);
  t.same(listed.map((site) => site.id).slice(-2), [shop.id, blog.id]);
  await t.rejects(createSite(db, { name: '   ' }), RangeError);
});

t.test('a key is shown once and stored only as its SHA-256 and a display prefix', async (t) => {
  const site = await createSite(db, { name: 'keys' });
  const created = await createApiKey(db, { siteId: site.id, scopes: ['read', 'ingest'], name: 'exporter' });
  t.match(created.key, /^ja_sk_[A-Za-z0-9_-]{43}$/);
  t.equal(created.prefix, created.key.slice(0, 14));
  t.same(created.scopes, ['ingest', 'read'], 'scopes in canonical order');
  t.match(created, { siteId: site.id, name: 'exporter', revokedAt: null });

  const stored = await db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
  t.same(stored.secret_hash, createHash('sha256').update(created.key).digest());
  const wholeRow = await sql<{ row: string }>`SELECT row_to_json(k)::text AS row FROM api_keys k WHERE id = ${created.id}`.execute(db);
  t.notOk(wholeRow.rows[0]?.row.includes(created.key.slice(14)), 'the secret part of the key is nowhere in the row');

  const listed = await listApiKeys(db, { siteId: site.id });
  t.equal(listed.length, 1);
  t.same(Object.keys(listed[0]!).sort(), ['createdAt', 'id', 'name', 'prefix', 'revokedAt', 'scopes', 'siteId']);
  t.notOk(JSON.stringify(listed).includes(created.key), 'listings never carry the key');
});

t.test('keys are refused for unknown sites and bad scopes', async (t) => {
  const site = await createSite(db, { name: 'scopes' });
  await t.rejects(createApiKey(db, { siteId: '987654321', scopes: ['ingest'] }), UnknownSiteError);
  await t.rejects(createApiKey(db, { siteId: 'x', scopes: ['ingest'] }), UnknownSiteError);
  await t.rejects(createApiKey(db, { siteId: site.id, scopes: [] }), RangeError);
  // @ts-expect-error a scope that does not exist
  await t.rejects(createApiKey(db, { siteId: site.id, scopes: ['root'] }), RangeError);
});

t.test('listing filters by site; revoking works once', async (t) => {
  const a = await createSite(db, { name: 'a' });
  const b = await createSite(db, { name: 'b' });
  const keyA = await createApiKey(db, { siteId: a.id, scopes: ['ingest'] });
  const keyB = await createApiKey(db, { siteId: b.id, scopes: ['read', 'admin'] });
  t.same((await listApiKeys(db, { siteId: a.id })).map((key) => key.id), [keyA.id]);
  t.same((await listApiKeys(db, { siteId: 'nope' })), []);
  const all = (await listApiKeys(db)).map((key) => key.id);
  t.ok(all.includes(keyA.id) && all.includes(keyB.id));

  t.equal(await revokeApiKey(db, keyA.id), true);
  t.equal(await revokeApiKey(db, keyA.id), false, 'already revoked');
  t.equal(await revokeApiKey(db, '123456789'), false, 'no such key');
  t.equal(await revokeApiKey(db, 'abc'), false, 'malformed ID');
  const [revoked] = await listApiKeys(db, { siteId: a.id });
  t.ok(revoked?.revokedAt instanceof Date, 'listed with its revocation time');
});

t.test('the resolver returns site and scopes of live keys only', async (t) => {
  const site = await createSite(db, { name: 'resolve' });
  const created = await createApiKey(db, { siteId: site.id, scopes: ['ingest', 'read'] });
  const revoked = await createApiKey(db, { siteId: site.id, scopes: ['read'] });
  await revokeApiKey(db, revoked.id);
  const resolver = new ApiKeyResolver(db);
  t.same(await resolver.resolve(created.key), { keyId: created.id, siteId: site.id, scopes: ['ingest', 'read'] });
  t.equal(await resolver.resolve(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A')), null, 'an unknown key');
  t.equal(await resolver.resolve(revoked.key), null, 'a revoked key');
});

t.test('malformed keys are refused without a database round trip', async (t) => {
  const closed = await openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 1 });
  await closed.close(); // any query would now throw
  const resolver = new ApiKeyResolver(closed.db);
  for (const bad of ['', 'Bearer x', 'ja_sk_short', 'ja_pk_' + 'a'.repeat(43), 'ja_sk_' + 'a'.repeat(42) + '!', 'ja_sk_' + 'a'.repeat(44)]) {
    t.equal(await resolver.resolve(bad), null, JSON.stringify(bad));
  }
  await t.rejects(resolver.resolve('ja_sk_' + 'a'.repeat(43)), 'a well-formed key needs the keys loaded (and that fails here)');
});

t.test('a database that cannot load the keys is not asked again for every request', async (t) => {
  let acquisitions = 0;
  const dead = await openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 1 });
  await dead.close();
  dead.pool.on('acquire', () => acquisitions++);
  const resolver = new ApiKeyResolver(dead.db);
  const attempts = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => resolver.resolve('ja_sk_' + String(i).padStart(43, 'x'))));
  t.ok(attempts.every((attempt) => attempt.status === 'rejected'), 'every resolve fails: unavailable, not unknown');
  const again = await Promise.allSettled(Array.from({ length: 100 }, () => resolver.resolve('ja_sk_' + 'y'.repeat(43))));
  t.ok(again.every((attempt) => attempt.status === 'rejected'));
  t.equal(resolver.loads, 0);
  t.ok(acquisitions <= 1, `at most one load tried within the hold, got ${acquisitions}`);
});

t.test('without start(), keys are loaded once and reloaded at most once per interval', async (t) => {
  const site = await createSite(db, { name: 'lazy' });
  const first = await createApiKey(db, { siteId: site.id, scopes: ['ingest'] });
  const resolver = new ApiKeyResolver(db, { reloadIntervalMs: 200 });
  const results = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve(first.key)));
  t.ok(results.every((result) => result?.keyId === first.id), 'concurrent first lookups share a load');
  t.equal(resolver.loads, 1);

  const second = await createApiKey(db, { siteId: site.id, scopes: ['read'] });
  let misses = 0;
  for (let i = 0; i < 1000; i++) if ((await resolver.resolve(second.key)) === null) misses++;
  t.equal(misses, 1000, 'unknown until the next reload');
  t.equal(resolver.loads, 1, 'misses cost no query');

  await new Promise((resolve) => setTimeout(resolve, 250));
  await resolver.resolve(first.key); // due: reloads in the background
  const deadline = Date.now() + 2000;
  while ((await resolver.resolve(second.key)) === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.match(await resolver.resolve(second.key), { keyId: second.id, scopes: ['read'] });
  t.equal(resolver.loads, 2);
});

t.test('key changes are announced at commit, never on rollback', async (t) => {
  const site = await createSite(db, { name: 'announced' });
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  t.teardown(() => listener.end());
  const heard: string[] = [];
  listener.on('notification', (message) => {
    if (message.channel === API_KEY_CHANGES_CHANNEL) heard.push(message.payload ?? '');
  });
  await listener.query(`LISTEN ${API_KEY_CHANGES_CHANNEL}`);
  const until = async (count: number): Promise<void> => {
    const deadline = Date.now() + 2000;
    while (heard.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  const created = await createApiKey(db, { siteId: site.id, scopes: ['ingest'] });
  await until(1);
  t.same(heard, [created.id], 'creation, with the key ID');
  await revokeApiKey(db, created.id);
  await until(2);
  t.same(heard, [created.id, created.id], 'revocation');
  t.equal(await revokeApiKey(db, created.id), false);

  await t.rejects(
    db.transaction().execute(async (trx) => {
      await createApiKey(trx, { siteId: site.id, scopes: ['read'] });
      throw new Error('roll back');
    }),
    /roll back/,
  );
  const marker = await createApiKey(db, { siteId: site.id, scopes: ['read'] });
  await until(3);
  t.same(heard, [created.id, created.id, marker.id], 'nothing from the rolled back key, which is not there');
  t.notOk((await listApiKeys(db, { siteId: site.id })).some((key) => key.scopes.includes('read') && key.id !== marker.id));
});

t.test('the default site gets an ingest-only key and a read-only key', async (t) => {
  const { handle: fresh } = await createTestDatabase(t);
  const created = await ensureDefaultSite(fresh.db);
  if (created === null) throw new Error('a fresh database should get the default site');
  t.match(created, { siteId: /^[0-9]+$/, name: 'default', ingestKey: /^ja_sk_/, readKey: /^ja_sk_/ });
  t.not(created.ingestKey, created.readKey);
  const resolver = new ApiKeyResolver(fresh.db);
  t.same((await resolver.resolve(created.ingestKey))?.scopes, ['ingest'], 'the ingest key cannot read');
  t.same((await resolver.resolve(created.readKey))?.scopes, ['read'], 'the read key cannot ingest');
  t.equal(await ensureDefaultSite(fresh.db), null, 'only once');
  t.same(
    (await listApiKeys(fresh.db)).map((key) => [key.name, key.scopes]),
    [
      ['default ingest', ['ingest']],
      ['default read', ['read']],
    ],
  );
});
