import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { ServerEventInput } from '../../enrich/enrich-event.ts';
import type { AnalyticsLimits } from './analytics-limits.ts';
import type { PropValue } from './event-row.ts';
import { FieldError, isObject, readId, readName, readOptionalUrl, readProps, readTimestampMs } from './event-values.ts';
import type { IdentityRow } from './identity-row.ts';
import { ENGAGEMENT } from './track-body.ts';

/** One item of an ingest request: checked, or refused with a message (the request's other items go on). */
export type Checked<T> = { ok: T } | { error: string };

/** An identify call's item, checked. */
export interface IdentityInput {
  anonymousId: string;
  userId: string;
  traits: Record<string, PropValue>;
  tsMs: number | null;
}

/**
 * Checks a parsed POST /api/ingest/events body `{ events: [{ name, ts?,
 * props?, url?, userId?, anonymousId? }] }` (the gRPC request, converted by
 * ingest-protobuf.ts, too). A body of the wrong shape or with more than
 * maxEventsPerRequest events throws MalformedRequestError (400); an event
 * that breaks a rule is refused alone, like an OTLP partial success.
 */
export function parseIngestEventsBody(value: unknown, limits: AnalyticsLimits): Checked<ServerEventInput>[] {
  const items = itemsOf(value, 'events', limits);
  return items.map((item) => checked(() => readServerEvent(item, limits)));
}

function readServerEvent(value: unknown, limits: AnalyticsLimits): ServerEventInput {
  if (!isObject(value)) throw new FieldError('an event must be a JSON object');
  const name = readName(value.name, limits);
  // Engagement is measured by the page; a server has no time on page to report.
  if (name === ENGAGEMENT) throw new FieldError(`"${ENGAGEMENT}" events are sent by browsers (POST /api/track), not by servers`);
  const userId = readId(value.userId, limits, 'userId');
  const anonymousId = readId(value.anonymousId, limits, 'anonymousId');
  if (userId === null && anonymousId === null) throw new FieldError('an event needs a userId or an anonymousId');
  return {
    name,
    url: readOptionalUrl(value.url, limits, 'url'),
    tsMs: readTimestampMs(value.ts),
    props: readProps(value.props, limits),
    userId,
    anonymousId,
  };
}

/**
 * Checks a parsed POST /api/ingest/identify body: one identity `{
 * anonymousId, userId, traits?, ts? }`, or `{ identities: [...] }`. One
 * identity that breaks a rule is a 400 (MalformedRequestError); in a list,
 * each is checked alone.
 */
export function parseIdentifyBody(value: unknown, limits: AnalyticsLimits): { single: boolean; items: Checked<IdentityInput>[] } {
  if (isObject(value) && value.identities === undefined) {
    try {
      return { single: true, items: [{ ok: readIdentity(value, limits) }] };
    } catch (error) {
      if (error instanceof FieldError) throw new MalformedRequestError(error.message);
      throw error;
    }
  }
  const items = itemsOf(value, 'identities', limits);
  return { single: false, items: items.map((item) => checked(() => readIdentity(item, limits))) };
}

function readIdentity(value: unknown, limits: AnalyticsLimits): IdentityInput {
  if (!isObject(value)) throw new FieldError('an identity must be a JSON object');
  const anonymousId = readId(value.anonymousId, limits, 'anonymousId');
  const userId = readId(value.userId, limits, 'userId');
  if (anonymousId === null || userId === null) throw new FieldError('an identity needs both anonymousId and userId');
  return { anonymousId, userId, traits: readProps(value.traits, limits, 'traits'), tsMs: readTimestampMs(value.ts) };
}

/** Farthest ahead of the receiving clock a server's time is believed (the contract's rule for server events). */
export const MAX_SERVER_CLOCK_AHEAD_MS = 5 * 60_000;

/** The identity as the sink stores it: its time believed unless it is more than 5 minutes ahead. */
export function identityRow(input: IdentityInput, nowMs: number): IdentityRow {
  const ms = input.tsMs !== null && input.tsMs <= nowMs + MAX_SERVER_CLOCK_AHEAD_MS ? input.tsMs : nowMs;
  return { anonymousId: input.anonymousId, userId: input.userId, traits: input.traits, timeUnixNano: BigInt(ms) * 1_000_000n };
}

function itemsOf(value: unknown, field: 'events' | 'identities', limits: AnalyticsLimits): unknown[] {
  if (!isObject(value) || !Array.isArray(value[field])) throw new MalformedRequestError(`the body must be a JSON object { "${field}": [...] }`);
  const items = value[field] as unknown[];
  if (items.length > limits.maxEventsPerRequest) {
    throw new MalformedRequestError(`${field} holds ${items.length} items, more than the limit of ${limits.maxEventsPerRequest} per request: send smaller batches`);
  }
  return items;
}

function checked<T>(read: () => T): Checked<T> {
  try {
    return { ok: read() };
  } catch (error) {
    if (error instanceof FieldError) return { error: error.message };
    throw error;
  }
}
