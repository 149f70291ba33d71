import type { KeyResolver } from '../auth/key-resolver.ts';
import { enrichServerEvent } from '../enrich/enrich-event.ts';
import { InvalidPageUrlError } from '../enrich/page-url.ts';
import type { ResolvedKey } from '../model/keys.ts';
import type { AnalyticsLimits } from '../signals/events/analytics-limits.ts';
import { IDENTIFY_WIRE_SCHEMA, INGEST_EVENTS_WIRE_SCHEMA, maxIngestElements } from '../signals/events/analytics-wire-schema.ts';
import type { EventRow } from '../signals/events/event-row.ts';
import type { IdentityRow } from '../signals/events/identity-row.ts';
import { identityRow, parseIdentifyBody, parseIngestEventsBody } from '../signals/events/ingest-body.ts';
import type { Checked } from '../signals/events/ingest-body.ts';
import { identifyBodyOf, ingestEventsBodyOf } from '../signals/events/ingest-protobuf.ts';
import { parseJsonBody, scanAnalyticsBody } from '../signals/events/scan-body.ts';
import type { WireSchema } from '../decode/wire-schema.ts';
import type { Sink } from '../sink/sink.ts';
import { authenticateIngest } from './authenticate.ts';
import { classifyError, ReceiverError } from './errors.ts';
import type { ExportCall } from './export.ts';
import type { InFlight } from './in-flight.ts';
import { logFailure } from './log-failure.ts';
import { MemoryReservation } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';

/** What the server SDK routes share, whatever the transport (HTTP's /api/ingest/*, gRPC's AnalyticsService). */
export interface AnalyticsIngestContext {
  sink: Sink;
  keys: KeyResolver;
  inFlight: InFlight;
  memoryBudget: MemoryBudget;
  limits: Readonly<AnalyticsLimits>;
}

/** An item refused, by its position in the request. */
export interface RejectedItem {
  index: number;
  message: string;
}

/** The answer to an ingest request, once its accepted rows are committed. */
export interface IngestOutcome {
  accepted: number;
  /** Items refused by their checks (listed in `errors`) and by the store (`message` says why). */
  rejected: number;
  errors: RejectedItem[];
  /** What the store refused, without positions; '' when nothing. */
  message: string;
}

/**
 * POST /api/ingest/events and AnalyticsService/IngestEvents: the key checked
 * before the body is read, the body counted before it is parsed (its memory
 * reserved), each event checked alone and enriched, and the batch written to
 * the sink; resolves after the commit. Rejects only with a ReceiverError,
 * classified and logged here once, as exportSignal does for OTLP.
 */
export function ingestEvents(context: AnalyticsIngestContext, call: ExportCall): Promise<IngestOutcome> {
  return ingest(context, call, 'events', async (key, body) => {
    const value = call.encoding === 'json' ? parseJsonBody(body) : ingestEventsBodyOf(body);
    const items = parseIngestEventsBody(value, context.limits);
    const nowMs = Date.now();
    return write(context, key, 'events', items, (input) => enrichServerEvent(input, key.siteId, nowMs));
  });
}

/**
 * POST /api/ingest/identify and AnalyticsService/Identify, the same way.
 * A single identity (the JSON body's short form) that breaks a rule is a 400.
 */
export function ingestIdentify(context: AnalyticsIngestContext, call: ExportCall): Promise<IngestOutcome> {
  return ingest(context, call, 'identities', async (key, body) => {
    const value = call.encoding === 'json' ? parseJsonBody(body) : identifyBodyOf(body);
    const { items } = parseIdentifyBody(value, context.limits);
    const nowMs = Date.now();
    return write(context, key, 'identities', items, (input) => identityRow(input, nowMs));
  });
}

const SCHEMAS: Readonly<Record<'events' | 'identities', WireSchema>> = { events: INGEST_EVENTS_WIRE_SCHEMA, identities: IDENTIFY_WIRE_SCHEMA };

async function ingest(
  context: AnalyticsIngestContext,
  call: ExportCall,
  signal: 'events' | 'identities',
  handle: (key: ResolvedKey, body: Buffer) => Promise<IngestOutcome>,
): Promise<IngestOutcome> {
  const reservation = call.reservation ?? new MemoryReservation(context.memoryBudget);
  try {
    return await context.inFlight.run(async () => {
      const key = await authenticateIngest(context.keys, call);
      const body = await call.readBody(reservation.reserve);
      const max = context.limits.maxIngestBodyBytes;
      // gRPC messages arrive whole, under grpc-js's own (larger) limit: the analytics limit is checked here.
      if (body.length > max) throw new ReceiverError('too_large', `request body exceeds the limit of ${max} bytes`);
      reservation.reserveTotal(body.length);
      const decodedBytes = scanAnalyticsBody(body, call.encoding, SCHEMAS[signal], maxIngestElements(context.limits));
      reservation.reserve(decodedBytes);
      const outcome = await handle(key, body);
      if (outcome.rejected > 0) call.log.info({ signal, rejected: outcome.rejected }, 'ingest partly rejected');
      return outcome;
    });
  } catch (error) {
    const classified = classifyError(error);
    logFailure(call.log, error, classified, { signal });
    throw classified;
  } finally {
    reservation.release();
  }
}

async function write<Input, Row extends EventRow | IdentityRow>(
  context: AnalyticsIngestContext,
  key: ResolvedKey,
  signal: 'events' | 'identities',
  items: Checked<Input>[],
  toRow: (input: Input) => Row,
): Promise<IngestOutcome> {
  const rows: Row[] = [];
  const errors: RejectedItem[] = [];
  items.forEach((item, index) => {
    if ('error' in item) {
      errors.push({ index, message: item.error });
      return;
    }
    try {
      rows.push(toRow(item.ok));
    } catch (error) {
      // The URL was checked already; should the enrich stage's parser still refuse it, only this event goes.
      if (!(error instanceof InvalidPageUrlError)) throw error;
      errors.push({ index, message: error.message });
    }
  });
  let written = { rejected: 0, message: '' };
  if (rows.length > 0) {
    // The row type follows the signal; TypeScript cannot tie them through the union.
    written = await context.sink.write({ signal, siteId: key.siteId, rows } as Parameters<Sink['write']>[0]);
  }
  return { accepted: rows.length - written.rejected, rejected: errors.length + written.rejected, errors, message: written.message };
}
