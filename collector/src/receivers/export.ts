import type { BaseLogger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import { DEFAULT_DECODE_LIMITS } from '../decode/decode-limits.ts';
import type { DecodeLimits } from '../decode/decode-limits.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import type { RowBatch, Sink, WriteResult } from '../sink/sink.ts';
import { classifyError, ReceiverError } from './errors.ts';
import type { InFlight } from './in-flight.ts';
import { logFailure } from './log-failure.ts';
import { MemoryReservation } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { RowOf, Signal, SignalDescriptor } from './signal.ts';

/** What every export shares, whatever its transport. */
export interface ExportContext {
  sink: Sink;
  keys: KeyResolver;
  inFlight: InFlight;
  /** Bounds the memory of the requests being served, across both transports. */
  memoryBudget: MemoryBudget;
  /** What decoding one request may build. Default DEFAULT_DECODE_LIMITS. */
  decodeLimits?: DecodeLimits;
}

/**
 * Reserves `bytes` more of the memory budget for the request, or throws
 * ReceiverError('overloaded') when the budget is spent.
 */
export type ReserveBytes = (bytes: number) => void;

/** One export request as a transport received it. */
export interface ExportCall {
  /** The Authorization header, or the gRPC `authorization` metadata. */
  authorization: string | undefined;
  /**
   * The client's address (after trusted-proxy resolution on HTTP), for
   * limiting failed authentications per client. Held in memory only: never
   * logged or stored.
   */
  clientAddress: string;
  encoding: OtlpEncoding;
  /**
   * Reads the body. Called only once the key is known to be good, so an
   * unauthenticated client never gets a body inflated. A transport that
   * streams the body reserves its bytes with `reserve` as they arrive (and
   * stops reading when refused); one that has it whole already may ignore it.
   */
  readBody(reserve: ReserveBytes): Promise<Buffer>;
  /** The request's logger (carrying its request id). */
  log: Pick<BaseLogger, 'error' | 'warn' | 'info' | 'debug'>;
  /**
   * What the transport already reserved for this request (gRPC reserves a
   * message's bytes as they arrive), for the export to add to; it is released
   * when the export ends, as the export's own would be. Default: a new one.
   */
  reservation?: MemoryReservation;
}

/**
 * The one export path of every signal and transport: authenticate, read,
 * decode, write to the sink, and answer with the encoded
 * Export…ServiceResponse. It resolves only after the sink has committed the
 * rows, so a response is an acknowledgement. It rejects only with a
 * ReceiverError, classified here once, for the transport to translate.
 */
export async function exportSignal<S extends Signal>(descriptor: SignalDescriptor<S>, context: ExportContext, call: ExportCall): Promise<Buffer> {
  // Everything the export holds of the memory budget, given back when it ends, whatever the outcome.
  const reservation = call.reservation ?? new MemoryReservation(context.memoryBudget);
  try {
    return await context.inFlight.run(async () => {
      const key = await descriptor.authenticate(context.keys, call);
      const body = await call.readBody(reservation.reserve);
      // The body's own bytes: reserved while it streamed in, or now if it came whole.
      reservation.reserveTotal(body.length);
      // What decoding will build, counted on the wire before anything is:
      // reserved first, and refused whole when over the request limit.
      const limits = context.decodeLimits ?? DEFAULT_DECODE_LIMITS;
      const { decodedBytes } = descriptor.scan(body, call.encoding, limits);
      const needed = reservation.held + decodedBytes;
      if (needed > context.memoryBudget.limit) {
        // It could never fit, however long the client waited: permanent, unlike a full budget.
        throw new ReceiverError(
          'too_large',
          `decoding this request would take about ${mebibytes(needed)} MiB, more than the ${mebibytes(context.memoryBudget.limit)} MiB ` +
            'memory budget for requests in flight: send smaller batches',
        );
      }
      reservation.reserve(decodedBytes);
      const decoded = descriptor.decode(body, call.encoding, key.siteId, limits);
      let written: WriteResult = { rejected: 0, message: '' };
      if (decoded.rows.length > 0) {
        written = await context.sink.write(toBatch(descriptor.signal, key.siteId, decoded.rows));
      }
      const message = [decoded.message, written.message].filter((part) => part !== '').join('; ');
      const rejected = decoded.rejected + written.rejected;
      if (rejected > 0) call.log.info({ signal: descriptor.signal, rejected }, 'export partly rejected');
      return descriptor.encodeResponse(rejected, message, call.encoding);
    });
  } catch (error) {
    const classified = classifyError(error);
    logFailure(call.log, error, classified, { signal: descriptor.signal });
    throw classified;
  } finally {
    reservation.release();
  }
}

function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function toBatch<S extends Signal>(signal: S, siteId: string, rows: RowOf<S>[]): RowBatch {
  // RowOf<S> ties the rows to the signal; TypeScript cannot follow that
  // through the union on its own.
  return { signal, siteId, rows } as RowBatch;
}
