// Covers POST /api/v1/analytics/query as a route: an answer in the Plausible
// v2 shape for the key's site (site given or left out), 404 for another site,
// 401 without a key, 403 without the read scope, and a precise 400 for each
// kind of bad input (date ranges, metrics, dimensions, filters and their
// bounds, order, pagination, compare, metrics the query cannot have, an
// invalid regular expression).
import t from 'tap';
import { createApiKey } from '../src/store/api-keys.ts';
import { writeAnalyticsTraffic } from './helpers/analytics-query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const api = await setUpApiTest(t);
await writeAnalyticsTraffic(api.db, api.siteA);
const ingestOnly = (await createApiKey(api.db, { siteId: api.siteA, scopes: ['ingest'] })).key;

async function post(body: unknown, key: string | null = api.keyA) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/analytics/query',
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    payload: body as object,
  });
  return { status: response.statusCode, body: response.json() as { error?: { code: string; message: string }; results?: unknown[]; meta?: Record<string, unknown> } };
}

t.test('answers for the key’s site, named or not', async (t) => {
  const range = ['2026-11-29', '2026-11-29'];
  for (const site of [undefined, api.siteA]) {
    const { status, body } = await post({ site, date_range: range, metrics: ['visitors', 'pageviews'], dimensions: ['visit:country'] });
    t.equal(status, 200);
    // Nov 29: visitor 2's two visits from France (2 pageviews), visitor 3's from the US (2 pageviews).
    t.same(body.results, [
      { dimensions: ['FR'], metrics: [1, 2] },
      { dimensions: ['US'], metrics: [1, 2] },
    ]);
    t.equal(body.meta?.time_zone, 'UTC');
  }
  const other = await post({ site: api.siteB, date_range: range, metrics: ['visitors'] }, api.keyA);
  t.equal(other.status, 404);
  t.equal(other.body.error?.code, 'NOT_FOUND');
  const siteB = await post({ date_range: range, metrics: ['visitors'] }, api.keyB);
  t.same(siteB.body.results, [{ dimensions: [], metrics: [0] }], "site B's key sees none of site A's traffic");
});

t.test('keys', async (t) => {
  t.equal((await post({ date_range: 'day', metrics: ['visitors'] }, null)).status, 401);
  t.equal((await post({ date_range: 'day', metrics: ['visitors'] }, 'ja_sk_unknown')).status, 401);
  t.equal((await post({ date_range: 'day', metrics: ['visitors'] }, ingestOnly)).status, 403);
});

t.test('bad input is a 400 that says what is wrong', async (t) => {
  const ok = { date_range: 'day', metrics: ['visitors'] };
  const deep = ['not', ['not', ['not', ['is', 'visit:country', ['FR']]]]];
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', [1], /JSON object|object/],
    ['unknown field', { ...ok, metric: 'x' }, /unknown field "metric"/],
    ['no date_range', { metrics: ['visitors'] }, /date_range is required/],
    ['unknown named range', { ...ok, date_range: 'week' }, /date_range "week"/],
    ['bad custom range', { ...ok, date_range: ['2026-11-31', '2026-12-01'] }, /ISO dates/],
    ['reversed range', { ...ok, date_range: ['2026-11-29', '2026-11-01'] }, /end before it starts/],
    ['mixed range', { ...ok, date_range: ['2026-11-01', '2026-11-02T00:00:00Z'] }, /ISO dates/],
    ['no metrics', { date_range: 'day', metrics: [] }, /metrics must be a non-empty list/],
    ['unknown metric', { date_range: 'day', metrics: ['bounces'] }, /unknown metric "bounces"/],
    ['repeated metric', { date_range: 'day', metrics: ['visits', 'visits'] }, /listed twice/],
    ['unknown dimension', { ...ok, dimensions: ['visit:planet'] }, /unknown dimension "visit:planet"/],
    ['empty props key', { ...ok, dimensions: ['event:props:'] }, /unknown dimension/],
    ['two time dimensions', { ...ok, dimensions: ['time:day', 'time:hour'] }, /at most one time dimension/],
    ['filter not a list', { ...ok, filters: [{ op: 'is' }] }, /a filter is a list/],
    ['unknown operator', { ...ok, filters: [['equals', 'visit:country', ['FR']]] }, /unknown filter operator "equals"/],
    ['unknown filter dimension', { ...ok, filters: [['is', 'visit:planet', ['x']]] }, /unknown filter dimension/],
    ['filter on time', { ...ok, filters: [['is', 'time:day', ['2026-11-29']]] }, /time dimensions cannot be filtered/],
    ['no values', { ...ok, filters: [['is', 'visit:country', []]] }, /1 to 100 strings/],
    ['too many values', { ...ok, filters: [['is', 'visit:country', Array.from({ length: 101 }, (_, i) => `c${i}`)]] }, /1 to 100 strings/],
    ['too many filters', { ...ok, filters: Array.from({ length: 21 }, () => ['is', 'visit:country', ['FR']]) }, /at most 20 filters/],
    ['nested too deep', { ...ok, filters: [deep] }, /nest at most 3 deep/],
    ['empty and', { ...ok, filters: [['and', []]] }, /"and" takes one non-empty list/],
    ['long regex', { ...ok, filters: [['matches', 'event:page', ['a'.repeat(257)]]] }, /at most 256 characters/],
    ['NUL in a value', { ...ok, filters: [['is', 'event:page', ['a\u0000b']]] }, /NUL/],
    ['regex on goals', { ...ok, filters: [['matches', 'event:goal', ['.*']]] }, /goals are filtered by name/],
    ['order by something not asked', { ...ok, order_by: [['pageviews', 'desc']] }, /not one of the query's metrics or dimensions/],
    ['order direction', { ...ok, order_by: [['visitors', 'down']] }, /order_by items/],
    ['limit too high', { ...ok, limit: 10_001 }, /limit must be an integer from 1 to 10000/],
    ['negative offset', { ...ok, pagination: { limit: 5, offset: -1 } }, /offset must be an integer/],
    ['unknown compare', { ...ok, compare: 'previous_year' }, /compare must be "previous_period"/],
    ['unknown include', { ...ok, include: { imports: true } }, /unknown include "imports"/],
    ['bounce rate of pages', { date_range: 'day', metrics: ['bounce_rate'], dimensions: ['event:page'] }, /bounce_rate belongs to visits/],
    ['conversion rate without a goal', { date_range: 'day', metrics: ['conversion_rate'] }, /needs an event:goal/],
    ['invalid regular expression', { ...ok, filters: [['matches', 'visit:source', ['(']]] }, /invalid regular expression/],
  ];
  for (const [what, body, message] of cases) {
    const response = await post(body);
    t.equal(response.status, 400, what);
    t.equal(response.body.error?.code, 'INVALID_ARGUMENT', what);
    t.match(response.body.error?.message ?? '', message, what);
  }
});

t.test('the route is in the OpenAPI document', async (t) => {
  const response = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  const document = response.json() as { paths: Record<string, unknown> };
  t.ok(document.paths['/api/v1/analytics/query'], 'documented');
});
