// Covers justanalytics.analytics.v1.AnalyticsService on the gRPC receiver
// through a real grpc-js client: IngestEvents and Identify (accepted and
// rejected counted, events refused one by one), the key checked on the
// metadata before the message is read, the same status mapping as OTLP/gRPC
// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED with RetryInfo, UNAVAILABLE), gzip
// messages, the limits, and the service absent unless asked for.
import { Client, credentials, Metadata, status as GrpcCode } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { IdentifyRequest, IdentifyResponse, IngestEventsRequest, IngestEventsResponse, RpcStatus } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import type { OtlpGrpcOptions } from '../src/receivers/otlp-grpc.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../src/sink/sink.ts';
import { INGEST_KEY, keys, READ_ONLY_KEY, SITE_ID, silentLogger } from './helpers/fixtures.ts';
import { PeakBudget } from './helpers/test-doubles.ts';

// Spelled out here rather than taken from the receiver, so that a wrong path there fails the tests.
const SERVICE = '/justanalytics.analytics.v1.AnalyticsService';
const identity = (buffer: Buffer): Buffer => buffer;

interface CallResult {
  error: ServiceError | null;
  response?: Buffer;
}

async function serve(t: Test, options: Partial<OtlpGrpcOptions> = {}, { gzip = false } = {}) {
  const sink = new MemorySink();
  const server = createOtlpGrpcServer({ keys, logger: silentLogger, sink, analytics: {}, ...options });
  const port = await server.listen('127.0.0.1', 0);
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  const call = (method: 'IngestEvents' | 'Identify', message: Buffer, key: string | null = INGEST_KEY): Promise<CallResult> =>
    new Promise((resolve) => {
      const metadata = new Metadata();
      if (key !== null) metadata.set('authorization', `Bearer ${key}`);
      client.makeUnaryRequest(`${SERVICE}/${method}`, identity, identity, message, metadata, (error, response) => resolve({ error, response }));
    });
  return { sink, call };
}

function eventsMessage(events: Record<string, unknown>[]): Buffer {
  return Buffer.from(IngestEventsRequest.encode(IngestEventsRequest.fromObject({ events })).finish());
}

function eventsResponse(result: CallResult): Record<string, unknown> {
  return IngestEventsResponse.toObject(IngestEventsResponse.decode(result.response as Buffer), { defaults: true });
}

function retryDelaySeconds(error: ServiceError): number | null {
  const [bytes] = error.metadata.get('grpc-status-details-bin');
  const status = RpcStatus.decode(bytes as Buffer) as unknown as { details: { typeUrl: string; value: Uint8Array }[] };
  const detail = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  // RetryInfo { Duration retry_delay = 1 { int64 seconds = 1 } }: small enough to read by hand.
  return detail === undefined ? null : (detail.value[3] as number);
}

t.test('IngestEvents: committed events counted, bad ones listed by position', async (t) => {
  const { sink, call } = await serve(t);
  const result = await call(
    'IngestEvents',
    eventsMessage([
      { name: 'signup', userId: 'u1', timeUnixNano: '1764460800000000000', props: { plan: { stringValue: 'pro' }, seats: { intValue: 3 } }, url: 'https://example.com/welcome' },
      { name: 'orphan' },
      { name: 'checkout', anonymousId: 'anon-1', props: { total: { doubleValue: 9.5 }, first: { boolValue: true } } },
    ]),
  );
  t.equal(result.error, null);
  t.strictSame(eventsResponse(result), {
    accepted: 2,
    rejected: 1,
    errors: [{ index: 1, message: 'an event needs a userId or an anonymousId' }],
    message: '',
  });
  t.equal(sink.batches[0]?.siteId, SITE_ID);
  t.match(sink.rows('events'), [
    { name: 'signup', userId: 'u1', props: { plan: 'pro', seats: 3 }, timeUnixNano: 1_764_460_800_000_000_000n, pathname: '/welcome', origin: 'server' },
    { name: 'checkout', anonymousId: 'anon-1', props: { total: 9.5, first: true } },
  ]);
});

t.test('Identify, gzip-compressed', async (t) => {
  const { sink, call } = await serve(t, {}, { gzip: true });
  const message = Buffer.from(
    IdentifyRequest.encode(
      IdentifyRequest.fromObject({ identities: [{ anonymousId: 'anon-1', userId: 'u1', traits: { plan: { stringValue: 'pro' } } }, { anonymousId: 'anon-2' }] }),
    ).finish(),
  );
  const result = await call('Identify', message);
  t.equal(result.error, null);
  t.strictSame(IdentifyResponse.toObject(IdentifyResponse.decode(result.response as Buffer), { defaults: true }), {
    accepted: 1,
    rejected: 1,
    errors: [{ index: 1, message: 'an identity needs both anonymousId and userId' }],
    message: '',
  });
  t.match(sink.rows('identities'), [{ anonymousId: 'anon-1', userId: 'u1', traits: { plan: 'pro' } }]);
});

t.test('keys are checked on the metadata, before the message is read', async (t) => {
  const budget = new PeakBudget(64 * 1024 * 1024);
  const { sink, call } = await serve(t, { memoryBudget: budget });
  const message = eventsMessage(Array.from({ length: 400 }, () => ({ name: 'e'.repeat(100), userId: 'u' })));
  const cases: [string, string | null, GrpcCode, RegExp][] = [
    ['no metadata', null, GrpcCode.UNAUTHENTICATED, /missing API key/],
    ['an unknown key', 'ja_sk_unknown', GrpcCode.UNAUTHENTICATED, /unknown API key/],
    ['a key without ingest scope', READ_ONLY_KEY, GrpcCode.PERMISSION_DENIED, /no ingest scope/],
  ];
  for (const [what, key, code, detail] of cases) {
    for (const method of ['IngestEvents', 'Identify'] as const) {
      const { error } = await call(method, message, key);
      t.equal(error?.code, code, `${what}: ${method}`);
      t.match(error?.details, detail);
    }
  }
  t.equal(budget.peak, 0, 'no byte of a refused message was reserved');
  t.equal(sink.batches.length, 0);
});

t.test('bad messages and limits: INVALID_ARGUMENT or RESOURCE_EXHAUSTED, the server fine', async (t) => {
  const { sink, call } = await serve(t);
  const garbage = await call('IngestEvents', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
  t.equal(garbage.error?.code, GrpcCode.INVALID_ARGUMENT);
  const many = await call('IngestEvents', eventsMessage(Array.from({ length: 501 }, () => ({ name: 'e', userId: 'u' }))));
  t.equal(many.error?.code, GrpcCode.INVALID_ARGUMENT);
  t.match(many.error?.details, /events holds 501 items, more than the limit of 500/);
  const huge = await call('IngestEvents', eventsMessage([{ name: 'e', userId: 'u', props: { a: { stringValue: 'x'.repeat(1024 * 1024) } } }]));
  t.equal(huge.error?.code, GrpcCode.RESOURCE_EXHAUSTED);
  t.match(huge.error?.details, /exceeds the limit of 1048576 bytes/);
  t.equal(retryDelaySeconds(huge.error as ServiceError), null, 'too large is not retryable');
  const manyProps = await call(
    'IngestEvents',
    eventsMessage([{ name: 'e', userId: 'u', props: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, { intValue: i }])) }]),
  );
  t.strictSame(eventsResponse(manyProps).errors, [{ index: 0, message: 'props has 51 entries, more than the limit of 50' }]);
  t.equal(sink.batches.length, 0);
  const fine = await call('IngestEvents', eventsMessage([{ name: 'e', userId: 'u' }]));
  t.equal(fine.error, null, 'still serving');
});

t.test('storage failures: RESOURCE_EXHAUSTED and UNAVAILABLE with RetryInfo', async (t) => {
  for (const [error, code, seconds] of [
    [new SinkOverloadedError('queue full', 7), GrpcCode.RESOURCE_EXHAUSTED, 7],
    [new SinkUnavailableError('database down', 3), GrpcCode.UNAVAILABLE, 3],
  ] as const) {
    const { call } = await serve(t, { sink: new ErrorSink(error) });
    const result = await call('IngestEvents', eventsMessage([{ name: 'e', userId: 'u' }]));
    t.equal(result.error?.code, code);
    t.equal(retryDelaySeconds(result.error as ServiceError), seconds);
  }
});

t.test('not served unless asked for', async (t) => {
  const { call } = await serve(t, { analytics: undefined });
  const result = await call('IngestEvents', eventsMessage([{ name: 'e', userId: 'u' }]));
  t.equal(result.error?.code, GrpcCode.UNIMPLEMENTED);
});
