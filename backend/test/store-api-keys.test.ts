// Sites and API keys: creation and listing, keys stored only as a SHA-256 with
// a display prefix, revocation, and the resolver's cache (TTL, cached misses,
// bounded size, malformed keys refused without a query).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { ApiKeyResolver, UnknownSiteError, createApiKey, listApiKeys, revokeApiKey } from '../src/store/api-keys.ts';
import { createSite, getSite, listSites } from '../src/store/sites.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const { handle, url } = await createTestDatabase(t);
const { db } = handle;

t.test('sites are created, listed and found by ID', async (t) => {
  const shop = await createSite(db, { name: '  Shop  ', domain: 'shop.example' });
  const blog = await createSite(db, { name: 'Blog' });
  t.match(shop, { id: /^[1-9][0-9]*$/, name: 'Shop', domain: 'shop.example' });
  t.ok(shop.createdAt instanceof Date);
  t.equal(blog.domain, null);
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
  const resolver = new ApiKeyResolver(db, { ttlMs: 0, missTtlMs: 0 });
  t.same(await resolver.resolve(created.key), { keyId: created.id, siteId: site.id, scopes: ['ingest', 'read'] });
  t.equal(await resolver.resolve(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A')), null, 'an unknown key');
  await revokeApiKey(db, created.id);
  t.equal(await resolver.resolve(created.key), null, 'a revoked key');
});

t.test('malformed keys are refused without a database round trip', async (t) => {
  const closed = await openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 1 });
  await closed.close(); // any query would now throw
  const resolver = new ApiKeyResolver(closed.db);
  for (const bad of ['', 'Bearer x', 'ja_sk_short', 'ja_pk_' + 'a'.repeat(43), 'ja_sk_' + 'a'.repeat(42) + '!', 'ja_sk_' + 'a'.repeat(44)]) {
    t.equal(await resolver.resolve(bad), null, JSON.stringify(bad));
  }
  await t.rejects(resolver.resolve('ja_sk_' + 'a'.repeat(43)), 'a well-formed key does query (and fails here)');
});

t.test('the cache keeps answers for their TTL, misses briefly, and is bounded', async (t) => {
  const site = await createSite(db, { name: 'cache' });
  let now = 1_000_000;
  const resolver = new ApiKeyResolver(db, { ttlMs: 10_000, missTtlMs: 2_000, maxEntries: 2, now: () => now });

  const first = await createApiKey(db, { siteId: site.id, scopes: ['ingest'] });
  t.ok(await resolver.resolve(first.key));
  await revokeApiKey(db, first.id);
  t.ok(await resolver.resolve(first.key), 'still trusted within the TTL');
  now += 10_001;
  t.equal(await resolver.resolve(first.key), null, 'looked up again after the TTL');

  // A miss is remembered for missTtlMs: insert the key behind the cache's back.
  const unknown = 'ja_sk_' + 'Z'.repeat(43);
  t.equal(await resolver.resolve(unknown), null);
  const inserted = await db
    .insertInto('api_keys')
    .values({ site_id: site.id, name: null, prefix: unknown.slice(0, 14), secret_hash: createHash('sha256').update(unknown).digest(), scopes: ['read'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  t.equal(await resolver.resolve(unknown), null, 'the miss is cached');
  now += 2_001;
  t.match(await resolver.resolve(unknown), { siteId: site.id, scopes: ['read'] }, 'found once the miss expired');

  // Bounded: with room for 2, resolving 2 other keys evicts the oldest answer.
  const second = await createApiKey(db, { siteId: site.id, scopes: ['read'] });
  const third = await createApiKey(db, { siteId: site.id, scopes: ['read'] });
  t.ok(await resolver.resolve(second.key));
  t.ok(await resolver.resolve(third.key));
  await revokeApiKey(db, inserted.id);
  t.equal(await resolver.resolve(unknown), null, 'evicted, so looked up again within its TTL');

  resolver.clear();
  await revokeApiKey(db, second.id);
  t.equal(await resolver.resolve(second.key), null, 'clear() forgets everything');
});

t.test('concurrent lookups of one key share a query', async (t) => {
  const site = await createSite(db, { name: 'shared' });
  const created = await createApiKey(db, { siteId: site.id, scopes: ['ingest'] });
  let queries = 0;
  const counting = await openDatabase({ databaseUrl: url, dataDir: '.', logger: testLogger(), poolSize: 4 });
  t.teardown(() => counting.close());
  counting.pool.on('acquire', () => queries++);
  const resolver = new ApiKeyResolver(counting.db);
  const results = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve(created.key)));
  t.ok(results.every((result) => result?.keyId === created.id));
  t.equal(queries, 1);
});
