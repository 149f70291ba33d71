// The store's (resource, scope) pairs without a database: the id is a hash of
// the stored content (key order and object identity do not matter, every
// value does), pairs are hashed once per object per flush, a flush's rows are
// distinct per site and day and sorted by key, the upsert's parameters, and
// the bounded memory of written rows with its generation.
import type { SpanRow } from '@justanalytics/collector';
import t from 'tap';
import {
  ResourceScopeIds,
  resourceScopeId,
  resourceScopeRows,
  upsertResourceScopesQuery,
  WrittenResourceScopes,
  type ResourceScopeRow,
} from '../src/store/resource-scopes.ts';
import { makeSpanRow } from './helpers/span-rows.ts';

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }], droppedAttributesCount: 0 };
const scope = { name: 'http', version: '1', attributes: [], droppedAttributesCount: 0 };

t.test('the id is 16 bytes of a hash of the content, whatever its key order', async (t) => {
  const id = resourceScopeId(resource, '', scope, '');
  t.equal(id.length, 16);
  t.same(resourceScopeId(structuredClone(resource), '', structuredClone(scope), ''), id, 'a copy has the same id');
  const reordered = { droppedAttributesCount: 0, attributes: [{ value: { stringValue: 'shop' }, key: 'service.name' }] };
  t.same(resourceScopeId(reordered, '', { attributes: [], droppedAttributesCount: 0, version: '1', name: 'http' }, ''), id, 'key order does not matter');
  const others = [
    resourceScopeId(resource, 'https://example.com/r', scope, ''),
    resourceScopeId(resource, '', scope, 'https://example.com/r'),
    resourceScopeId({ ...resource, droppedAttributesCount: 1 }, '', scope, ''),
    resourceScopeId(resource, '', { ...scope, version: '2' }, ''),
    resourceScopeId({ attributes: [{ key: 'service.name', value: { stringValue: 'shop2' } }], droppedAttributesCount: 0 }, '', scope, ''),
    // Attribute order is data: OTLP/JSON keeps it, so it is a different resource.
    resourceScopeId({ attributes: [...resource.attributes, { key: 'b', value: {} }].reverse(), droppedAttributesCount: 0 }, '', scope, ''),
    resourceScopeId({ attributes: [...resource.attributes, { key: 'b', value: {} }], droppedAttributesCount: 0 }, '', scope, ''),
  ];
  t.equal(new Set([id, ...others].map((value) => value.toString('hex'))).size, others.length + 1, 'every other value gives another id');
  t.same(
    resourceScopeId({ attributes: [{ key: 'k', value: { stringValue: 'a\u0000b' } }], droppedAttributesCount: 0 }, '', scope, ''),
    resourceScopeId({ attributes: [{ key: 'k', value: { stringValue: 'a\uFFFDb' } }], droppedAttributesCount: 0 }, '', scope, ''),
    'hashed as stored: NUL becomes U+FFFD',
  );
});

t.test('a flush hashes each pair once, by the objects the decoder shares', async (t) => {
  const ids = new ResourceScopeIds();
  const rows = Array.from({ length: 100 }, () => makeSpanRow({ resource, scope }));
  const first = ids.of(rows[0]!);
  t.ok(rows.every((row) => ids.of(row) === first), 'one pair object for every row sharing the resource and scope');
  const withUrl = ids.of(makeSpanRow({ resource, scope, scopeSchemaUrl: 'https://example.com/s' }));
  t.not(withUrl, first, 'another schema URL is another pair');
  t.notSame(withUrl.id, first.id);
  const copy = ids.of(makeSpanRow({ resource: structuredClone(resource), scope: structuredClone(scope) }));
  t.same(copy.id, first.id, 'equal content in other objects gets the same id');
});

t.test('the rows of a flush are distinct per site, id and day, and sorted by that key', async (t) => {
  const other = { attributes: [], droppedAttributesCount: 0 };
  const span = (siteId: string, day: number, overrides: Partial<SpanRow> = {}) => ({ row: makeSpanRow({ siteId, resource, scope, ...overrides }), day });
  const writes = [
    { siteId: '2', rows: [span('2', 20001), span('2', 20000), span('2', 20001), span('2', 20000, { resource: other })] },
    { siteId: '1', rows: [span('1', 20000), span('1', 20000)] },
    { siteId: '2', rows: [span('2', 20000)] },
  ];
  const rows = resourceScopeRows(writes, new ResourceScopeIds());
  const keys = rows.map((row) => row.key);
  t.equal(rows.length, 4, 'site 1 once; site 2 on two days, and its other resource');
  t.same(keys, [...keys].sort());
  t.same(new Set(keys).size, keys.length);
  t.same(rows.map((row) => [row.siteId, row.day]).sort(), [['1', 20000], ['2', 20000], ['2', 20000], ['2', 20001]]);
  t.ok(rows.every((row) => row.key === `${row.siteId}/${row.pair.id.toString('hex')}/${row.day}`));

  const query = upsertResourceScopesQuery(rows);
  t.match(query.text, /ON CONFLICT \(site_id, id, day\) DO NOTHING/);
  const [siteIds, days, ids, resources] = query.values as [string[], string[], Buffer[], string[]];
  t.same(siteIds, rows.map((row) => row.siteId));
  t.equal(days[0], new Date(rows[0]!.day * 86_400_000).toISOString());
  t.same(ids, rows.map((row) => row.pair.id));
  t.same(JSON.parse(resources[0]!), rows[0]!.pair.resource);
});

t.test('written rows are remembered, up to a bound, and forgotten on clear', async (t) => {
  const row = (key: string) => ({ key }) as ResourceScopeRow;
  const written = new WrittenResourceScopes(3);
  const rows = [row('a'), row('b')];
  t.same(written.unwritten(rows), rows);
  written.add(rows, written.generation);
  t.same(written.unwritten([row('a'), row('c')]), [row('c')]);

  written.add([row('c'), row('d')], written.generation);
  t.equal(written.size, 2, 'past the bound it starts again from empty');
  t.same(written.unwritten([row('a'), row('d')]), [row('a')]);

  const before = written.generation;
  written.clear();
  t.equal(written.size, 0);
  written.add([row('e')], before);
  t.equal(written.size, 0, 'rows of a flush that began before a clear are not remembered');
  written.add([row('e')], written.generation);
  t.equal(written.size, 1);
});
