// Covers funnels: runFunnel over events written by SQL (steps in order, the
// window from the first step with a restart at a later first step, anchored
// page patterns with *, a repeated step, people followed
// across devices through identities, events outside the date range, visit
// filters), and POST /api/v1/analytics/funnels plus the saved-funnel routes:
// scopes (read runs, admin saves; neither implies the other), another site's
// data and ID (404), and bad input (400). Every number is counted by hand below.
import t from 'tap';
import { runFunnel } from '../src/query/analytics/funnels.ts';
import { parseFunnelDefinition } from '../src/query/analytics/funnels-definition.ts';
import { insertEvents, insertIdentity, insertSessions, setUpAnalyticsViewTest, type ViewEvent } from './helpers/analytics-view-rows.ts';

const { db, apiDb, siteA, siteB, readA, adminA, ingestA, readB, adminB, request } = await setUpAnalyticsViewTest(t);

const at = (time: string) => new Date(`2026-11-${time}Z`);
const range = { start: at('20T00:00:00'), end: at('22T00:00:00') };
const page = (visitorId: bigint, time: string, pathname: string, sessionId = visitorId): ViewEvent => ({ time: at(time), visitorId, sessionId, pathname });
const signup = (visitorId: bigint, time: string, sessionId = visitorId, props = {}): ViewEvent => ({ time: at(time), visitorId, sessionId, name: 'signup', props });

await insertEvents(db, siteA, [
  // 1: pricing, signup, welcome: all three steps.
  page(1n, '20T10:00:00', '/pricing'),
  signup(1n, '20T10:05:00', 1n, { plan: 'pro' }),
  page(1n, '20T10:06:00', '/welcome'),
  // 2: /pricing-team matches /pricing*; welcome without signup: step 1 only.
  page(2n, '20T10:00:00', '/pricing-team'),
  page(2n, '20T10:10:00', '/welcome'),
  // 3: signup before pricing does not count: step 1 only.
  signup(3n, '20T09:00:00'),
  page(3n, '20T10:00:00', '/pricing'),
  // 4: the signup is 25 h after the first pricing view but 30 min after the second: the later start completes all three.
  page(4n, '20T08:00:00', '/pricing', 40n),
  page(4n, '21T08:30:00', '/pricing', 41n),
  signup(4n, '21T09:00:00', 41n),
  page(4n, '21T09:30:00', '/welcome', 41n),
  // 5: welcome 24 h 50 min after the only pricing view: two steps.
  page(5n, '20T00:10:00', '/pricing'),
  signup(5n, '20T00:20:00'),
  page(5n, '21T01:00:00', '/welcome'),
  // 6: patterns are anchored: /about/pricing is not /pricing*. No step.
  page(6n, '20T10:00:00', '/about/pricing'),
  signup(6n, '20T10:01:00'),
  // 9: the pricing view is before the range: no step.
  page(9n, '19T23:59:00', '/pricing'),
  signup(9n, '20T00:01:00'),
  // User u1 on two devices: pricing anonymously (anon-1, identified as u1 later), signup as u1 on another visitor ID: two steps.
  { time: at('20T11:00:00'), visitorId: 71n, sessionId: 71n, pathname: '/pricing', anonymousId: 'anon-1' },
  { time: at('20T11:05:00'), visitorId: 72n, sessionId: 72n, name: 'signup', userId: 'u1' },
]);
await insertIdentity(db, siteA, { anonymousId: 'anon-1', userId: 'u1', firstSeen: at('20T11:04:00') });
// Countries for the visit filter: 1, 2 and both visits of 4 in DE, the rest in US.
const session = (sessionId: bigint, visitorId: bigint, day: string, country: string) => ({
  sessionId,
  visitorId,
  startedAt: at(`${day}T00:00:00`),
  lastSeenAt: at(`${day}T23:00:00`),
  country,
});
await insertSessions(db, siteA, [
  session(1n, 1n, '20', 'DE'),
  session(2n, 2n, '20', 'DE'),
  session(3n, 3n, '20', 'US'),
  session(40n, 4n, '20', 'DE'),
  session(41n, 4n, '21', 'DE'),
  session(5n, 5n, '20', 'US'),
  session(6n, 6n, '20', 'US'),
  session(71n, 71n, '20', 'US'),
  session(72n, 72n, '20', 'US'),
]);
// Site B has a visitor who completes everything: never seen by site A.
await insertEvents(db, siteB, [page(1n, '20T10:00:00', '/pricing'), signup(1n, '20T10:01:00'), page(1n, '20T10:02:00', '/welcome')]);

const threeSteps = [{ page: '/pricing*' }, { event: 'signup' }, { page: '/welcome' }];
const visitorsOf = (result: { steps: Array<{ visitors: number }> }) => result.steps.map((step) => step.visitors);

t.test('people reach each step in order, within the window of the first step', async (t) => {
  const result = await runFunnel(apiDb, siteA, parseFunnelDefinition({ steps: threeSteps }), range);
  // Level per person: 1 → 3, 2 → 1, 3 → 1, 4 → 3, 5 → 2, u1 → 2; 6 and 9 never enter.
  t.strictSame(result.steps, [
    { label: 'Visit /pricing*', visitors: 6, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0, dropoff_percentage: 0 },
    { label: 'signup', visitors: 4, conversion_rate: 66.67, conversion_rate_step: 66.67, dropoff: 2, dropoff_percentage: 33.33 },
    { label: 'Visit /welcome', visitors: 2, conversion_rate: 33.33, conversion_rate_step: 50, dropoff: 2, dropoff_percentage: 50 },
  ]);
});

t.test('the window: 2 days lets 5 finish; 10 minutes keeps only 1 at the end', async (t) => {
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, parseFunnelDefinition({ steps: threeSteps, window: '2d' }), range)), [6, 4, 3]);
  // 10m: 1 (6 min), 4 (second start, 60 min: no longer), 5 (10 min to signup) and u1 (5 min) sign up; only 1 welcomes in time.
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, parseFunnelDefinition({ steps: threeSteps, window: '10m' }), range)), [6, 3, 1]);
});

t.test('a repeated step needs two matching events; one event never completes two steps', async (t) => {
  // Two pricing* views: 4 (08:00 and 08:30 next day, 24.5 h: not within 1d) and no one else.
  const twice = parseFunnelDefinition({ steps: [{ page: '/pricing*' }, { page: '/pricing*' }] });
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, twice, range)), [6, 0]);
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, { ...twice, window: '2d' }, range)), [6, 1]);
});

t.test('event steps with props, and * anywhere in a pattern', async (t) => {
  const steps = [{ page: '/*pricing*' }, { event: 'signup', props: { plan: 'pro' } }];
  // /*pricing* takes 6's /about/pricing too (7 people enter); only 1's signup has plan=pro.
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, parseFunnelDefinition({ steps }), range)), [7, 1]);
});

t.test('identities join one user across devices', async (t) => {
  // Without the identify, anon-1's pricing view and u1's signup would be two people and u1 would stop at 0.
  const steps = [{ page: '/pricing' }, { event: 'signup' }];
  // Exact /pricing: 1, 3, 4, 5, u1 enter (2 is /pricing-team); signups after: 1, 4, 5, u1.
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, parseFunnelDefinition({ steps }), range)), [5, 4]);
});

t.test('visit filters keep the events of matching visits', async (t) => {
  const de = parseFunnelDefinition({ steps: threeSteps, filters: [['is', 'visit:country', ['DE']]] });
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, de, range)), [3, 2, 2]);
  const notDe = parseFunnelDefinition({ steps: threeSteps, filters: [['is_not', 'visit:country', ['DE']]] });
  // 3 → 1, 5 → 2, u1 → 2 (both devices' visits are US).
  t.strictSame(visitorsOf(await runFunnel(apiDb, siteA, notDe, range)), [3, 2, 0]);
});

t.test('POST /analytics/funnels runs a funnel with the read scope, in the date range', async (t) => {
  const ok = await request('POST', '/api/v1/analytics/funnels', readA, { site: siteA, steps: threeSteps, date_range: ['2026-11-20', '2026-11-21'] });
  t.equal(ok.status, 200);
  t.strictSame(visitorsOf(ok.body as { steps: Array<{ visitors: number }> }), [6, 4, 2]);
  // One day: 4's second start and 5's welcome fall outside; 4 enters on the 20th only.
  const oneDay = await request('POST', '/api/v1/analytics/funnels', readA, { steps: threeSteps, date_range: ['2026-11-20', '2026-11-20'] });
  t.strictSame(visitorsOf(oneDay.body as { steps: Array<{ visitors: number }> }), [6, 3, 1]);
  const other = await request('POST', '/api/v1/analytics/funnels', readB, { steps: threeSteps, date_range: ['2026-11-20', '2026-11-21'] });
  t.strictSame(visitorsOf(other.body as { steps: Array<{ visitors: number }> }), [1, 1, 1], 'site B sees only its own visitor');
});

t.test('POST /analytics/funnels refuses other sites, other scopes and bad input', async (t) => {
  const body = { steps: threeSteps, date_range: ['2026-11-20', '2026-11-21'] };
  t.match(await request('POST', '/api/v1/analytics/funnels', readA, { ...body, site: siteB }), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await request('POST', '/api/v1/analytics/funnels', adminA, body), { status: 403, body: { error: { code: 'PERMISSION_DENIED' } } }, 'admin does not imply read');
  t.match(await request('POST', '/api/v1/analytics/funnels', ingestA, body), { status: 403 });
  t.match(await request('POST', '/api/v1/analytics/funnels', 'ja_sk_nope', body), { status: 401 });
  const bad = async (what: string, changed: object) => {
    const response = await request('POST', '/api/v1/analytics/funnels', readA, { ...body, ...changed });
    t.match(response, { status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } }, what);
  };
  await bad('one step', { steps: [{ page: '/a' }] });
  await bad('nine steps', { steps: Array.from({ length: 9 }, () => ({ page: '/a' })) });
  await bad('a step with page and event', { steps: [{ page: '/a', event: 'x' }, { page: '/b' }] });
  await bad('a step with neither', { steps: [{}, { page: '/b' }] });
  await bad('a page not starting with /', { steps: [{ page: 'pricing' }, { page: '/b' }] });
  await bad('props on a page step', { steps: [{ page: '/a', props: { a: 1 } }, { page: '/b' }] });
  await bad('a malformed window', { window: '1 day' });
  await bad('a window over 90 days', { window: '91d' });
  await bad('a malformed date range', { date_range: 'yesterday' });
  await bad('a reversed date range', { date_range: ['2026-11-21', '2026-11-20'] });
  await bad('an impossible day', { date_range: ['2026-02-30', '2026-03-01'] });
  await bad('a filter on an event dimension', { filters: [['is', 'event:page', ['/a']]] });
  await bad('an unknown filter operator', { filters: [['like', 'visit:country', ['DE']]] });
  await bad('an unknown field', { steps: threeSteps, cohort: 'x' });
  await bad('a lone surrogate (jsonb cannot store it)', { steps: [{ page: '/\ud800' }, { page: '/b' }] });
  await bad('a lone surrogate in a filter', { filters: [['is', 'visit:country', ['\udc00']]] });
});

t.test('saved funnels: admin saves, changes and removes; read lists and runs', async (t) => {
  const path = '/api/v1/analytics/funnels/saved';
  t.match(await request('POST', path, readA, { name: 'signup', steps: threeSteps }), { status: 403 }, 'read cannot save');
  const created = await request('POST', path, adminA, { name: 'signup', steps: threeSteps });
  t.equal(created.status, 201);
  const saved = created.body as { id: string; name: string; window: string; steps: unknown[] };
  t.match(saved, { id: /^[0-9]+$/, name: 'signup', window: '1d', steps: threeSteps, filters: [] });

  t.match(await request('GET', path, adminA), { status: 403 }, 'admin cannot list');
  const listed = await request('GET', path, readA);
  t.match(listed.body, { funnels: [{ id: saved.id, name: 'signup' }] });
  t.strictSame(await request('GET', path, readB), { status: 200, body: { funnels: [] } }, 'site B sees none');

  const run = await request('POST', `${path}/${saved.id}/run`, readA, { date_range: ['2026-11-20', '2026-11-21'] });
  t.strictSame(visitorsOf(run.body as { steps: Array<{ visitors: number }> }), [6, 4, 2]);
  t.match(await request('POST', `${path}/${saved.id}/run`, readB, { date_range: ['2026-11-20', '2026-11-21'] }), { status: 404 }, "another site's funnel");

  const changed = await request('PUT', `${path}/${saved.id}`, adminA, { name: 'two days', steps: threeSteps, window: '2d' });
  t.match(changed, { status: 200, body: { id: saved.id, name: 'two days', window: '2d' } });
  const rerun = await request('POST', `${path}/${saved.id}/run`, readA, { date_range: ['2026-11-20', '2026-11-21'] });
  t.strictSame(visitorsOf(rerun.body as { steps: Array<{ visitors: number }> }), [6, 4, 3]);
  t.match(await request('PUT', `${path}/${saved.id}`, adminA, { name: 'x', steps: [{ page: '/a' }] }), { status: 400 });
  t.match(await request('PUT', `${path}/${saved.id}`, adminB, { name: 'x', steps: threeSteps }), { status: 404 }, "site B cannot change A's funnel");
  t.match(await request('PUT', `${path}/123`, adminA, { name: 'x', steps: threeSteps }), { status: 404 });

  t.match(await request('DELETE', `${path}/${saved.id}`, adminB), { status: 404 });
  t.match(await request('DELETE', `${path}/${saved.id}`, readA), { status: 403 });
  t.equal((await request('DELETE', `${path}/${saved.id}`, adminA)).status, 204);
  t.equal((await request('DELETE', `${path}/${saved.id}`, adminA)).status, 404);
  t.match(await request('POST', `${path}/${saved.id}/run`, readA, {}), { status: 404 });
  t.strictSame(await request('GET', path, readA), { status: 200, body: { funnels: [] } });
});
