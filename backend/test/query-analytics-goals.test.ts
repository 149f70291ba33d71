// Covers goals: page patterns (* any run of characters, LIKE's own wildcards
// taken literally), event goals with props compared as JSON values, conversions over a date range in the site's time zone (Asia/Kolkata,
// +05:30: the day's edges are 18:30 UTC), and the goal routes: read lists and
// counts, admin adds and removes (neither implies the other), another site's
// goals and ID (404), bad goals (400).
import t from 'tap';
import { goalConversions } from '../src/query/analytics/goals.ts';
import { pagePatternLike, parseGoalDefinition } from '../src/query/analytics/goals-match.ts';
import { insertEvents, setUpAnalyticsViewTest } from './helpers/analytics-view-rows.ts';

const { db, apiDb, siteA, siteB, readA, adminA, readB, adminB, request } = await setUpAnalyticsViewTest(t, 'Asia/Kolkata');

const at = (time: string) => new Date(`2026-11-${time}Z`);
await insertEvents(db, siteA, [
  // v1: the first instant of the local day 2026-11-20 (00:00 IST).
  { time: at('19T18:30:00'), visitorId: 1n, sessionId: 1n, pathname: '/pricing' },
  { time: at('19T19:00:00'), visitorId: 1n, sessionId: 1n, name: 'signup', props: { plan: 'pro' } },
  { time: at('20T10:00:00'), visitorId: 2n, sessionId: 2n, pathname: '/pricing/team' },
  { time: at('20T10:01:00'), visitorId: 2n, sessionId: 2n, pathname: '/pricing' },
  // v3: its signup is 00:00 IST on the 21st, the first instant after the range.
  { time: at('20T18:29:59'), visitorId: 3n, sessionId: 3n, pathname: '/blog' },
  { time: at('20T18:30:00'), visitorId: 3n, sessionId: 3n, name: 'signup', props: { plan: 'free' } },
  // v4: the pageview is before the range; an engagement event in it makes v4 a visitor, never a conversion.
  { time: at('19T18:29:00'), visitorId: 4n, sessionId: 4n, pathname: '/pricing' },
  { time: at('20T01:00:00'), visitorId: 4n, sessionId: 4n, name: 'engagement', pathname: '/pricing', engagementMs: 30_000 },
  { time: at('20T12:00:00'), visitorId: 5n, sessionId: 5n, name: 'signup', props: { plan: 'pro', seats: 3 } },
  { time: at('20T05:00:00'), visitorId: 6n, sessionId: 6n, pathname: '/aXbc' },
]);
await insertEvents(db, siteB, [{ time: at('20T10:00:00'), visitorId: 1n, sessionId: 1n, pathname: '/pricing' }]);

t.test('page patterns become LIKE patterns', async (t) => {
  t.equal(pagePatternLike('/pricing'), '/pricing');
  t.equal(pagePatternLike('/blog/*'), '/blog/%');
  t.equal(pagePatternLike('/docs/**'), '/docs/%');
  t.equal(pagePatternLike('/a_b%c\\*'), '/a\\_b\\%c\\\\%');
  t.throws(() => parseGoalDefinition({ page: '/a', event: 'b' }), /exactly one/);
  t.throws(() => parseGoalDefinition({ event: 'engagement' }), /engagement/);
  t.throws(() => parseGoalDefinition({ event: 'x', props: { a: { b: 1 } } }), /string, number or boolean/);
});

const range = { start: at('19T18:30:00'), end: at('20T18:30:00') };
const goal = (id: string, definition: object) => ({ id, name: id, definition: parseGoalDefinition(definition) });

t.test('conversions per goal: visitors, events and rate over every visitor of the range', async (t) => {
  const result = await goalConversions(apiDb, siteA, [
    goal('exact', { page: '/pricing' }),
    goal('deep', { page: '/pricing**' }),
    goal('signup', { event: 'signup' }),
    goal('pro', { event: 'signup', props: { plan: 'pro', seats: 3 } }),
    goal('seats-text', { event: 'signup', props: { seats: '3' } }),
    goal('literal-underscore', { page: '/a_b*' }),
    goal('x', { page: '/aXb*' }),
  ], range);
  // Visitors of the range: 1, 2, 3, 4 (engagement), 6, and 5 = 6.
  t.equal(result.visitors, 6);
  t.strictSame(
    result.goals.map(({ id, visitors, events, conversion_rate }) => ({ id, visitors, events, conversion_rate })),
    [
      { id: 'exact', visitors: 2, events: 2, conversion_rate: 33.33 },
      { id: 'deep', visitors: 2, events: 3, conversion_rate: 33.33 },
      { id: 'signup', visitors: 2, events: 2, conversion_rate: 33.33 },
      { id: 'pro', visitors: 1, events: 1, conversion_rate: 16.67 },
      { id: 'seats-text', visitors: 0, events: 0, conversion_rate: 0 },
      { id: 'literal-underscore', visitors: 0, events: 0, conversion_rate: 0 },
      { id: 'x', visitors: 1, events: 1, conversion_rate: 16.67 },
    ],
  );
});

t.test('goal routes: admin adds and removes, read lists and counts in the site time zone', async (t) => {
  const path = '/api/v1/analytics/goals';
  t.match(await request('POST', path, readA, { page: '/pricing' }), { status: 403 }, 'read cannot add');
  const pricing = await request('POST', path, adminA, { page: '/pricing' });
  t.match(pricing, { status: 201, body: { id: /^[0-9]+$/, name: 'Visit /pricing', page: '/pricing' } });
  const signup = await request('POST', path, adminA, { site: siteA, name: 'Pro signups', event: 'signup', props: { plan: 'pro' } });
  t.match(signup, { status: 201, body: { name: 'Pro signups', event: 'signup', props: { plan: 'pro' } } });

  t.match(await request('GET', path, adminA), { status: 403 }, 'admin cannot list');
  const listed = await request('GET', path, readA);
  t.match(listed, { status: 200, body: { goals: [{ name: 'Visit /pricing' }, { name: 'Pro signups' }] } });
  t.strictSame(await request('GET', path, readB), { status: 200, body: { goals: [] } }, "site B sees none of A's goals");
  t.match(await request('GET', `${path}?site=${siteB}`, readA), { status: 404 });

  const conversions = await request('GET', `${path}/conversions?date_range=2026-11-20,2026-11-20`, readA);
  t.equal(conversions.status, 200);
  const pricingId = (pricing.body as { id: string }).id;
  const signupId = (signup.body as { id: string }).id;
  t.strictSame(conversions.body, {
    visitors: 6,
    goals: [
      { id: pricingId, name: 'Visit /pricing', page: '/pricing', visitors: 2, events: 2, conversion_rate: 33.33 },
      // v1 and v5 signed up with plan pro; v3's signup is on the 21st in Kolkata.
      { id: signupId, name: 'Pro signups', event: 'signup', props: { plan: 'pro' }, visitors: 2, events: 2, conversion_rate: 33.33 },
    ],
  });
  // The 21st in Kolkata: only v3's signup (plan free): 1 visitor, no conversion.
  const next = await request('GET', `${path}/conversions?date_range=2026-11-21,2026-11-21`, readA);
  t.match(next.body, { visitors: 1, goals: [{ visitors: 0 }, { visitors: 0 }] });
  t.match(await request('GET', `${path}/conversions?date_range=yesterday`, readA), { status: 400 });
  t.match(await request('GET', `${path}/conversions?date_range=2026-11-20`, readA), { status: 400 });
  t.match(await request('GET', `${path}/conversions?date_range=2026-11-20,2026-11-20`, adminA), { status: 403 });

  t.match(await request('DELETE', `${path}/${pricingId}`, adminB), { status: 404 }, "site B cannot remove A's goal");
  t.match(await request('DELETE', `${path}/${pricingId}`, readA), { status: 403 });
  t.equal((await request('DELETE', `${path}/${pricingId}`, adminA)).status, 204);
  t.equal((await request('DELETE', `${path}/${pricingId}`, adminA)).status, 404);
  t.match(await request('GET', path, readA), { body: { goals: [{ id: signupId }] } });
});

t.test('bad goals are refused', async (t) => {
  const path = '/api/v1/analytics/goals';
  for (const [what, body] of [
    ['page and event', { page: '/a', event: 'b' }],
    ['neither', { name: 'x' }],
    ['a page without /', { page: 'pricing' }],
    ['props with a page', { page: '/a', props: { a: '1' } }],
    ['a nested prop', { event: 'a', props: { a: { b: 1 } } }],
    ['engagement', { event: 'engagement' }],
    ['a lone surrogate', { event: 'sign\ud800up' }],
    ['a lone surrogate in a prop', { event: 'a', props: { plan: '\udfff' } }],
    ['an unknown field', { event: 'a', when: 'now' }],
    ['another site', { event: 'a', site: siteB }],
  ] as const) {
    const response = await request('POST', path, adminA, body);
    t.ok(response.status === 400 || (what === 'another site' && response.status === 404), `${what}: ${response.status}`);
  }
});
