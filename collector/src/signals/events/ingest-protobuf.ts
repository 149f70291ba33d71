import { IdentifyRequest, IngestEventsRequest, int64ToBigInt } from '@justanalytics/proto';
import type { IAnalyticsEvent, IIdentifyRequest, IIdentity, IIngestEventsRequest, Int64, IPropValue } from '@justanalytics/proto';
import { MalformedRequestError } from '../../decode/malformed-request-error.ts';

// AnalyticsService requests (protobuf, already scanned) turned into the very
// shapes the JSON routes parse, so ingest-body.ts checks both the same way:
// '' and 0 (proto3's "not set") become absent, times become milliseconds,
// prop values their scalar (an int64 as a bigint, for the check to refuse
// one beyond ±2^53; an unset value as null, refused there too).

/** IngestEventsRequest → `{ events: [...] }` as POST /api/ingest/events takes it. */
export function ingestEventsBodyOf(message: Buffer): unknown {
  const request = decode<IIngestEventsRequest>(() => IngestEventsRequest.decode(message), 'IngestEventsRequest');
  return { events: request.events.map(eventBody) };
}

/** IdentifyRequest → `{ identities: [...] }` as POST /api/ingest/identify takes it. */
export function identifyBodyOf(message: Buffer): unknown {
  const request = decode<IIdentifyRequest>(() => IdentifyRequest.decode(message), 'IdentifyRequest');
  return { identities: request.identities.map(identityBody) };
}

function eventBody(event: IAnalyticsEvent): Record<string, unknown> {
  return {
    name: event.name,
    ts: timeMs(event.timeUnixNano),
    props: propsBody(event.props),
    url: absent(event.url),
    userId: absent(event.userId),
    anonymousId: absent(event.anonymousId),
  };
}

function identityBody(identity: IIdentity): Record<string, unknown> {
  return {
    anonymousId: absent(identity.anonymousId),
    userId: absent(identity.userId),
    traits: propsBody(identity.traits),
    ts: timeMs(identity.timeUnixNano),
  };
}

function propsBody(props: Record<string, IPropValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).map(([key, value]) => [key, scalar(value)]));
}

function scalar(value: IPropValue): unknown {
  switch (value.value) {
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'doubleValue':
      return value.doubleValue;
    case 'intValue':
      return int64ToBigInt(value.intValue as Int64);
    default:
      return null;
  }
}

/** Nanoseconds (fixed64, 0 when unset) as milliseconds, or undefined. */
function timeMs(nanos: Int64): number | undefined {
  const value = BigInt.asUintN(64, int64ToBigInt(nanos));
  return value === 0n ? undefined : Number(value / 1_000_000n);
}

function absent(text: string): string | undefined {
  return text === '' ? undefined : text;
}

function decode<T>(read: () => unknown, name: string): T {
  try {
    return read() as T;
  } catch (error) {
    throw new MalformedRequestError(`request message is not a valid protobuf ${name}`, { cause: error });
  }
}
