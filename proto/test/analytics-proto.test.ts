// Covers: the analytics extension's .proto (justanalytics.analytics.v1)
// against buf's independent protobuf implementation: a request in canonical
// proto3 JSON, made binary by `buf convert`, decodes in protobufjs to the
// same values (map props, each PropValue member, int64 beyond 2^53, fixed64
// times), and responses protobufjs encodes read back in buf the same.
import t from 'tap';
import { analyticsRoot, IdentifyResponse, IngestEventsRequest, IngestEventsResponse, int64ToBigInt, otlpRoot } from '../src/index.ts';
import type { IIngestEventsRequest } from '../src/index.ts';
import { bufConvert } from './helpers/buf-convert.ts';

const PACKAGE = 'justanalytics.analytics.v1';

t.test('IngestEventsRequest from buf decodes to the values sent', async (t) => {
  const json = {
    events: [
      {
        name: 'signup',
        timeUnixNano: '1764460800123456789',
        props: { plan: { stringValue: 'pro' }, seats: { intValue: '9007199254740993' }, ratio: { doubleValue: 0.25 }, trial: { boolValue: false } },
        url: 'https://example.com/welcome',
        userId: 'u1',
      },
      { name: 'checkout', anonymousId: 'anon-1' },
    ],
  };
  const binary = await bufConvert(`${PACKAGE}.IngestEventsRequest`, Buffer.from(JSON.stringify(json)), 'json', 'binpb');
  const request = IngestEventsRequest.decode(binary) as unknown as IIngestEventsRequest;
  const [first, second] = request.events;
  t.equal(first?.name, 'signup');
  t.equal(int64ToBigInt(first!.timeUnixNano), 1_764_460_800_123_456_789n);
  t.equal(first?.props.plan?.value, 'stringValue');
  t.equal(first?.props.plan?.stringValue, 'pro');
  t.equal(int64ToBigInt(first!.props.seats!.intValue!), 9_007_199_254_740_993n);
  t.equal(first?.props.ratio?.doubleValue, 0.25);
  t.equal(first?.props.trial?.value, 'boolValue', 'false is sent, the member set');
  t.equal(first?.props.trial?.boolValue, false);
  t.equal(second?.anonymousId, 'anon-1');
  t.equal(second?.userId, '', 'unset strings read as empty');
  t.strictSame(second?.props, {}, 'an absent map is an empty object');
});

t.test('responses protobufjs encodes read back in buf', async (t) => {
  for (const [type, name] of [
    [IngestEventsResponse, 'IngestEventsResponse'],
    [IdentifyResponse, 'IdentifyResponse'],
  ] as const) {
    const ours = type.encode(type.fromObject({ accepted: 2, rejected: 1, errors: [{ index: 1, message: 'bad' }], message: 'one refused by the store' })).finish();
    const back = JSON.parse((await bufConvert(`${PACKAGE}.${name}`, ours, 'binpb', 'json')).toString('utf8')) as unknown;
    t.strictSame(back, { accepted: 2, rejected: 1, errors: [{ index: 1, message: 'bad' }], message: 'one refused by the store' }, name);
  }
});

t.test('the analytics root is apart from the OTLP root', async (t) => {
  t.ok(analyticsRoot.lookupService(`${PACKAGE}.AnalyticsService`));
  t.strictSame(
    analyticsRoot.lookupService(`${PACKAGE}.AnalyticsService`).methodsArray.map((method) => method.name),
    ['IngestEvents', 'Identify'],
  );
  t.equal(otlpRoot.lookup(PACKAGE), null, 'the OTLP root stays upstream’s schema alone');
});
