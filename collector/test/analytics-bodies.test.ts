// Covers the analytics body checks (signals/events/): POST /api/track bodies
// (defaults, engagement, every limit and its message, cut strings), ingest
// event and identify bodies (one bad item refused alone, whole-request
// limits), the protobuf requests turned into the same shapes, and the count
// before parsing (elements bound nesting and props).
import { IdentifyRequest, IngestEventsRequest } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { analyticsLimitsOf, DEFAULT_ANALYTICS_LIMITS } from '../src/signals/events/analytics-limits.ts';
import { INGEST_EVENTS_WIRE_SCHEMA, maxIngestElements, maxTrackElements, TRACK_WIRE_SCHEMA } from '../src/signals/events/analytics-wire-schema.ts';
import { cut } from '../src/signals/events/event-values.ts';
import { identityRow, parseIdentifyBody, parseIngestEventsBody } from '../src/signals/events/ingest-body.ts';
import { identifyBodyOf, ingestEventsBodyOf } from '../src/signals/events/ingest-protobuf.ts';
import { parseJsonBody, scanAnalyticsBody } from '../src/signals/events/scan-body.ts';
import { parseTrackBody } from '../src/signals/events/track-body.ts';

const limits = DEFAULT_ANALYTICS_LIMITS;
const track = (body: Record<string, unknown>) => parseTrackBody({ site: '42', url: 'https://example.com/a', ...body }, limits);

function refusal(t: Test, read: () => unknown, message: RegExp, what: string): void {
  t.throws(read, { name: 'MalformedRequestError', message }, what);
}

t.test('a minimal track body is a page view with defaults', async (t) => {
  t.strictSame(track({}), {
    site: '42',
    event: {
      name: 'pageview',
      url: 'https://example.com/a',
      referrer: '',
      screen: null,
      title: '',
      props: {},
      tsMs: null,
      engagementMs: null,
      scrollDepth: null,
    },
  });
});

t.test('a full track body', async (t) => {
  const { site, event } = parseTrackBody(
    {
      site: 42,
      name: 'signup',
      url: 'http://example.com/p?x=1',
      referrer: 'https://news.ycombinator.com/item?id=1',
      screen: { w: 1920, h: 1080 },
      title: 'Pricing',
      props: { plan: 'pro', seats: 3, trial: false },
      ts: '2026-11-30T00:00:00.250Z',
      unknownField: 'ignored',
    },
    limits,
  );
  t.equal(site, '42', 'a numeric site ID is read as its decimal string');
  t.equal(event.name, 'signup');
  t.equal(event.referrer, 'https://news.ycombinator.com/item?id=1');
  t.strictSame(event.screen, { w: 1920, h: 1080 });
  t.strictSame(event.props, { plan: 'pro', seats: 3, trial: false });
  t.equal(event.tsMs, Date.UTC(2026, 10, 30, 0, 0, 0, 250));
  t.equal(event.engagementMs, null, 'engagement belongs to engagement events only');
});

t.test('engagement events carry time on page and scroll depth', async (t) => {
  const { event } = track({ name: 'engagement', engagement: { ms: 12_345.6, scroll: 87.4 } });
  t.equal(event.engagementMs, 12_346);
  t.equal(event.scrollDepth, 87);
  refusal(t, () => track({ name: 'engagement' }), /engagement events must carry engagement/, 'without engagement');
  refusal(t, () => track({ name: 'engagement', engagement: { ms: -1, scroll: 10 } }), /engagement\.ms/, 'negative time');
  refusal(t, () => track({ name: 'engagement', engagement: { ms: 1, scroll: 101 } }), /engagement\.scroll/, 'scroll past 100');
  t.equal(track({ name: 'other', engagement: { ms: 'x' } }).event.engagementMs, null, "another event's engagement is ignored");
});

t.test('every track limit is a 400 with a message naming the field', async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['not an object', { body: [] }, /the body must be a JSON object/],
    ['no site', { site: undefined }, /site must be the public site ID/],
    ['a site that is not an ID', { site: '42; drop' }, /site must be the public site ID/],
    ['a name too long', { name: 'n'.repeat(121) }, /name is longer than 120 characters/],
    ['an empty name', { name: ' ' }, /name must be a non-empty string/],
    ['no url', { url: undefined }, /url must be a non-empty string/],
    ['a url too long', { url: `https://example.com/${'a'.repeat(2030)}` }, /url is longer than 2048 characters/],
    ['a javascript: url', { url: 'javascript:alert(1)' }, /url must be an http or https URL/],
    ['a relative url', { url: '/pricing' }, /url is not an absolute URL/],
    ['a data: referrer', { referrer: 'data:text/plain,hi' }, /referrer must be an http or https URL/],
    ['a referrer too long', { referrer: `https://ref.example/${'r'.repeat(2048)}` }, /referrer is longer than 2048/],
    ['51 props', { props: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, /props has 51 entries, more than the limit of 50/],
    ['an object prop', { props: { nested: { a: 1 } } }, /props\.nested must be a string, number or boolean/],
    ['an array prop', { props: { list: [1, 2] } }, /props\.list must be a string, number or boolean/],
    ['a null prop', { props: { gone: null } }, /props\.gone must be a string, number or boolean/],
    ['props as an array', { props: ['a'] }, /props must be an object/],
    ['an empty prop key', { props: { '': 1 } }, /props has an empty key/],
    ['a prop key too long', { props: { ['k'.repeat(121)]: 1 } }, /props has a key longer than 120/],
    ['a screen of strings', { screen: { w: '1920', h: 1080 } }, /screen\.w must be an integer/],
    ['a negative screen', { screen: { w: 1, h: -1 } }, /screen\.h must be an integer/],
    ['a title that is not a string', { title: 5 }, /title must be a string/],
    ['a ts that is neither', { ts: 'yesterday' }, /ts must be milliseconds since the Unix epoch or an ISO 8601/],
    ['a ts out of range', { ts: -5 }, /ts is not a valid time/],
  ];
  for (const [what, body, message] of cases) {
    const value = 'body' in body ? body.body : { site: '42', url: 'https://example.com/a', ...body };
    refusal(t, () => parseTrackBody(value, limits), message, what);
  }
});

t.test('long prop strings and titles are cut, never through a surrogate pair; strings are made storable', async (t) => {
  // As JSON.parse makes it: "__proto__" an own key.
  const props = JSON.parse(`{"long":"${'x'.repeat(1500)}","nul":"a\\u0000b","__proto__":"kept"}`) as Record<string, unknown>;
  const { event } = track({ title: 't'.repeat(600), props });
  t.equal(event.title.length, 500);
  t.equal(event.props.long, 'x'.repeat(1000));
  t.equal(event.props.nul, 'a\uFFFDb');
  t.equal(Object.getPrototypeOf(event.props), Object.prototype, 'a "__proto__" key does not replace the prototype');
  t.equal(Object.keys(event.props).includes('__proto__'), true, 'it stays a plain key');
  t.equal(cut(`${'a'.repeat(9)}😀`, 10), 'a'.repeat(9), 'the emoji would be cut in half: it goes whole');
  t.equal(cut('abc', 10), 'abc');
});

t.test('ingest events: each bad event is refused alone', async (t) => {
  const items = parseIngestEventsBody(
    {
      events: [
        { name: 'signup', userId: 'u1', props: { plan: 'pro' }, ts: 1_764_460_800_000, url: 'https://example.com/welcome' },
        { name: 'signup' },
        { name: 'x'.repeat(121), anonymousId: 'a1' },
        { name: 'engagement', userId: 'u1' },
        { name: 'ok', anonymousId: 'a2', props: { deep: [1] } },
        'not an object',
        { name: 'checkout', anonymousId: 'a3', userId: 'u'.repeat(201) },
        { name: 'page', anonymousId: 'a4', url: 'ftp://example.com/' },
      ],
    },
    limits,
  );
  t.strictSame(items[0], {
    ok: { name: 'signup', url: 'https://example.com/welcome', tsMs: 1_764_460_800_000, props: { plan: 'pro' }, userId: 'u1', anonymousId: null },
  });
  t.strictSame(
    items.slice(1).map((item) => ('error' in item ? item.error : 'accepted')),
    [
      'an event needs a userId or an anonymousId',
      'name is longer than 120 characters',
      '"engagement" events are sent by browsers (POST /api/track), not by servers',
      'props.deep must be a string, number or boolean (objects, arrays and null are not stored)',
      'an event must be a JSON object',
      'userId is longer than 200 characters',
      'url must be an http or https URL',
    ],
  );
});

t.test('ingest bodies of the wrong shape or too many items are refused whole', async (t) => {
  refusal(t, () => parseIngestEventsBody({ event: [] }, limits), /the body must be a JSON object \{ "events": \[\.\.\.\] \}/, 'no events array');
  refusal(t, () => parseIngestEventsBody([], limits), /the body must be a JSON object/, 'an array');
  const many = { events: Array.from({ length: 501 }, () => ({ name: 'e', userId: 'u' })) };
  refusal(t, () => parseIngestEventsBody(many, limits), /events holds 501 items, more than the limit of 500/, '501 events');
  t.equal(parseIngestEventsBody({ events: many.events.slice(1) }, limits).length, 500, '500 are fine');
});

t.test('identify: one identity or a list', async (t) => {
  const single = parseIdentifyBody({ anonymousId: 'a1', userId: 'u1', traits: { plan: 'pro' }, ts: 1000 }, limits);
  t.strictSame(single, { single: true, items: [{ ok: { anonymousId: 'a1', userId: 'u1', traits: { plan: 'pro' }, tsMs: 1000 } }] });
  refusal(t, () => parseIdentifyBody({ anonymousId: 'a1' }, limits), /an identity needs both anonymousId and userId/, 'a single one without userId');
  const list = parseIdentifyBody({ identities: [{ anonymousId: 'a1', userId: 'u1' }, { userId: 'u2' }] }, limits);
  t.equal(list.single, false);
  t.strictSame(
    list.items.map((item) => ('error' in item ? item.error : item.ok.userId)),
    ['u1', 'an identity needs both anonymousId and userId'],
  );
  const now = 1_764_460_800_000;
  t.equal(identityRow({ anonymousId: 'a', userId: 'u', traits: {}, tsMs: now - 1000 }, now).timeUnixNano, BigInt(now - 1000) * 1_000_000n);
  t.equal(identityRow({ anonymousId: 'a', userId: 'u', traits: {}, tsMs: now + 300_001 }, now).timeUnixNano, BigInt(now) * 1_000_000n, 'too far ahead: now');
  t.equal(identityRow({ anonymousId: 'a', userId: 'u', traits: {}, tsMs: null }, now).timeUnixNano, BigInt(now) * 1_000_000n);
});

t.test('protobuf requests become the JSON shapes, unset fields absent', async (t) => {
  const events = IngestEventsRequest.encode(
    IngestEventsRequest.fromObject({
      events: [
        {
          name: 'signup',
          timeUnixNano: '1764460800123456789',
          userId: 'u1',
          props: { plan: { stringValue: 'pro' }, seats: { intValue: 3 }, ratio: { doubleValue: 0.5 }, ok: { boolValue: true }, huge: { intValue: '9007199254740993' }, unset: {} },
        },
        { name: 'bare', anonymousId: 'a1' },
      ],
    }),
  ).finish();
  const body = ingestEventsBodyOf(Buffer.from(events));
  t.strictSame(body, {
    events: [
      {
        name: 'signup',
        ts: 1_764_460_800_123,
        props: { plan: 'pro', seats: 3n, ratio: 0.5, ok: true, huge: 9_007_199_254_740_993n, unset: null },
        url: undefined,
        userId: 'u1',
        anonymousId: undefined,
      },
      { name: 'bare', ts: undefined, props: {}, url: undefined, userId: undefined, anonymousId: 'a1' },
    ],
  });
  const checked = parseIngestEventsBody(body, limits);
  t.strictSame(checked[0], { error: 'props.huge is an integer beyond ±2^53' }, 'an int64 a number cannot hold exactly rejects its event');
  const withoutHuge = parseIngestEventsBody({ events: [{ name: 'e', userId: 'u', props: { seats: 3n } }] }, limits);
  t.strictSame(withoutHuge[0], { ok: { name: 'e', url: null, tsMs: null, props: { seats: 3 }, userId: 'u', anonymousId: null } });

  const identify = IdentifyRequest.encode(IdentifyRequest.fromObject({ identities: [{ anonymousId: 'a1', userId: 'u1', traits: { plan: { stringValue: 'pro' } } }] })).finish();
  t.strictSame(identifyBodyOf(Buffer.from(identify)), { identities: [{ anonymousId: 'a1', userId: 'u1', traits: { plan: 'pro' }, ts: undefined }] });
  t.throws(() => ingestEventsBodyOf(Buffer.from([0x0a, 0x05, 0x01])), MalformedRequestError, 'truncated protobuf');
});

t.test('the count before parsing bounds values and nesting', async (t) => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  t.equal(maxTrackElements(limits), 164, '2 × 50 props + 64');
  t.equal(maxIngestElements(limits), 500 * 116 + 116);
  const ok = body({ site: '42', url: 'https://example.com/', props: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) });
  t.ok(scanAnalyticsBody(ok, 'json', TRACK_WIRE_SCHEMA, maxTrackElements(limits)) > ok.length, 'what parsing builds is estimated above the body');
  const manyProps = body({ site: '42', url: 'https://example.com/', props: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])) });
  t.throws(() => scanAnalyticsBody(manyProps, 'json', TRACK_WIRE_SCHEMA, maxTrackElements(limits)), { message: /more than 164 values/ });
  const deep = Buffer.from(`{"site":"42","props":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
  t.throws(() => scanAnalyticsBody(deep, 'json', TRACK_WIRE_SCHEMA, maxTrackElements(limits)), { message: /more than 164 values/ }, 'nesting counts');
  t.throws(() => scanAnalyticsBody(Buffer.from('{"site":'), 'json', TRACK_WIRE_SCHEMA, 10), { message: 'request body is not valid JSON' });
  const events = Buffer.from(IngestEventsRequest.encode(IngestEventsRequest.fromObject({ events: [{ name: 'a', userId: 'u' }] })).finish());
  t.ok(scanAnalyticsBody(events, 'protobuf', INGEST_EVENTS_WIRE_SCHEMA, 10) >= 2048, 'an event weighs at least its estimate');
  t.throws(() => parseJsonBody(Buffer.from('{')), { message: 'request body is not valid JSON' });
  t.strictSame(parseJsonBody(Buffer.from('\uFEFF{"a":1}')), { a: 1 }, 'a byte order mark is allowed');
});

t.test('limits: defaults, overrides and refusals', async (t) => {
  t.equal(analyticsLimitsOf(undefined, 'x'), DEFAULT_ANALYTICS_LIMITS);
  t.equal(analyticsLimitsOf({ maxProps: 10 }, 'x').maxProps, 10);
  t.throws(() => analyticsLimitsOf({ maxProps: 0 }, 'x'), { message: 'x: options.limits.maxProps must be a positive integer, got 0' });
  t.throws(() => analyticsLimitsOf({ maxProp: 1 } as never, 'x'), /is not a limit/);
  const small = analyticsLimitsOf({ maxProps: 2, maxPropStringLength: 3 }, 'x');
  t.strictSame(parseTrackBody({ site: '1', url: 'https://a.example/', props: { a: 'abcdef' } }, small).event.props, { a: 'abc' });
  t.throws(() => parseTrackBody({ site: '1', url: 'https://a.example/', props: { a: 1, b: 2, c: 3 } }, small), /more than the limit of 2/);
});
