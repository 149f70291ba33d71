import { compileWireSchema } from '../../decode/wire-schema.ts';
import type { MessageShape, SchemaShape, WireSchema } from '../../decode/wire-schema.ts';
import type { AnalyticsLimits } from './analytics-limits.ts';

// The analytics bodies for the request scanners (decode/json-scan.ts,
// decode/wire-scan.ts), so that a body is counted before it is parsed: the
// count bounds what JSON.parse or protobufjs may build (every value and
// every array or object level counts, so it bounds nesting depth too), and
// its memory estimate is reserved from the budget first, as OTLP requests'
// are. Field numbers are those of
// proto/justanalytics/analytics/v1/analytics_service.proto; JSON names are
// the HTTP bodies' (`ts` is the proto's time_unix_nano). In JSON, `props`
// and `traits` are objects with keys of the sender's choosing, which the JSON
// scan counts as unplaced: each key and each value one element.
//
// Weights (`bytes`, per decoded instance, strings apart) are estimates, not
// measurements like the OTLP tables': an event costs what JSON.parse or
// protobufjs makes of it, the checked input and the EventRow the enrich stage
// builds (about 45 fields, a 16-byte Buffer, bigints), rounded up generously.
// Checked once (Node 24, --expose-gc, heap growth while JSON.parse, the
// checks and enrichServerEvent ran over 500 events): the estimate was 2.3
// times the growth with no props, 1.5 with 5 props and 2.8 with 50.

const PROP_VALUE: MessageShape = {
  bytes: { protobuf: 96, json: 64 },
  fields: {
    stringValue: { number: 1, scalar: 'string' },
    boolValue: { number: 2, scalar: 'varint32' },
    intValue: { number: 3, scalar: 'varint64', bytes: { protobuf: 64, json: 0 } },
    doubleValue: { number: 4, scalar: 'fixed64' },
  },
};

const PROPS_ENTRY: MessageShape = {
  bytes: { protobuf: 160, json: 160 },
  fields: {
    key: { number: 1, scalar: 'string' },
    value: { number: 2, message: 'PropValue' },
  },
};

const EVENT_BYTES = { protobuf: 2048, json: 2048 };

/** POST /api/track (JSON only). */
export const TRACK_SCHEMA_SHAPE: SchemaShape = {
  root: 'TrackBody',
  messages: {
    TrackBody: {
      // The enrich stage's work on top: the parsed user agent, the page and referrer URLs.
      bytes: { protobuf: 4096, json: 4096 },
      fields: {
        site: { number: 1, scalar: 'string' },
        name: { number: 2, scalar: 'string' },
        url: { number: 3, scalar: 'string' },
        referrer: { number: 4, scalar: 'string' },
        screen: { number: 5, message: 'Screen' },
        title: { number: 6, scalar: 'string' },
        props: { number: 7, message: 'PropsEntry', repeated: true },
        ts: { number: 8, scalar: 'fixed64' },
        engagement: { number: 9, message: 'Engagement' },
      },
    },
    Screen: { bytes: { protobuf: 64, json: 64 }, fields: { w: { number: 1, scalar: 'varint32' }, h: { number: 2, scalar: 'varint32' } } },
    Engagement: { bytes: { protobuf: 64, json: 64 }, fields: { ms: { number: 1, scalar: 'fixed64' }, scroll: { number: 2, scalar: 'varint32' } } },
    PropsEntry: PROPS_ENTRY,
    PropValue: PROP_VALUE,
  },
};

/** POST /api/ingest/events and AnalyticsService/IngestEvents. */
export const INGEST_EVENTS_SCHEMA_SHAPE: SchemaShape = {
  root: 'IngestEventsRequest',
  messages: {
    IngestEventsRequest: { bytes: { protobuf: 64, json: 64 }, fields: { events: { number: 1, message: 'Event', repeated: true } } },
    Event: {
      bytes: EVENT_BYTES,
      fields: {
        name: { number: 1, scalar: 'string' },
        ts: { number: 2, scalar: 'fixed64', bytes: { protobuf: 72, json: 0 } },
        props: { number: 3, message: 'PropsEntry', repeated: true },
        url: { number: 4, scalar: 'string' },
        userId: { number: 5, scalar: 'string' },
        anonymousId: { number: 6, scalar: 'string' },
      },
    },
    PropsEntry: PROPS_ENTRY,
    PropValue: PROP_VALUE,
  },
};

/**
 * POST /api/ingest/identify and AnalyticsService/Identify. The JSON body may
 * also be one identity at the top; those fields' numbers are not in the
 * proto's IdentifyRequest (a protobuf sender using them is only counted).
 */
export const IDENTIFY_SCHEMA_SHAPE: SchemaShape = {
  root: 'IdentifyRequest',
  messages: {
    IdentifyRequest: {
      bytes: { protobuf: 512, json: 512 },
      fields: {
        identities: { number: 1, message: 'Identity', repeated: true },
        anonymousId: { number: 2, scalar: 'string' },
        userId: { number: 3, scalar: 'string' },
        traits: { number: 4, message: 'PropsEntry', repeated: true },
        ts: { number: 5, scalar: 'fixed64' },
      },
    },
    Identity: {
      bytes: { protobuf: 512, json: 512 },
      fields: {
        anonymousId: { number: 1, scalar: 'string' },
        userId: { number: 2, scalar: 'string' },
        traits: { number: 3, message: 'PropsEntry', repeated: true },
        ts: { number: 4, scalar: 'fixed64', bytes: { protobuf: 72, json: 0 } },
      },
    },
    PropsEntry: PROPS_ENTRY,
    PropValue: PROP_VALUE,
  },
};

export const TRACK_WIRE_SCHEMA: WireSchema = compileWireSchema(TRACK_SCHEMA_SHAPE);
export const INGEST_EVENTS_WIRE_SCHEMA: WireSchema = compileWireSchema(INGEST_EVENTS_SCHEMA_SHAPE);
export const IDENTIFY_WIRE_SCHEMA: WireSchema = compileWireSchema(IDENTIFY_SCHEMA_SHAPE);

// Elements a valid body can hold, by the limits: in JSON each prop is two
// (its key and its value), each event or identity one, plus a few for the
// fields a scan cannot place (unknown ones, which are ignored). Past these,
// the body is refused before it is parsed.
const ELEMENTS_PER_ITEM_BESIDES_PROPS = 16;

/** Most elements a POST /api/track body may hold. */
export function maxTrackElements(limits: AnalyticsLimits): number {
  return 2 * limits.maxProps + ELEMENTS_PER_ITEM_BESIDES_PROPS * 4;
}

/** Most elements an ingest request (events or identities) may hold. */
export function maxIngestElements(limits: AnalyticsLimits): number {
  return limits.maxEventsPerRequest * (2 * limits.maxProps + ELEMENTS_PER_ITEM_BESIDES_PROPS) + 2 * limits.maxProps + ELEMENTS_PER_ITEM_BESIDES_PROPS;
}
