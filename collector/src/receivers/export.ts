import type { BaseLogger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import type { RowBatch, Sink, WriteResult } from '../sink/sink.ts';
import { authenticateIngest } from './authenticate.ts';
import { classifyError } from './errors.ts';
import type { InFlight } from './in-flight.ts';
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
  const reservation = new MemoryReservation(context.memoryBudget);
  try {
    return await context.inFlight.run(async () => {
      const key = await authenticateIngest(context.keys, call.authorization);
      const body = await call.readBody(reservation.reserve);
      // The body's own bytes: reserved while it streamed in, or now if it came whole.
      reservation.reserveTotal(body.length);
      reservation.reserve(body.length * DECODED_BYTES_PER_BODY_BYTE[call.encoding]);
      const decoded = descriptor.decode(body, call.encoding, key.siteId);
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
    if (classified.kind === 'internal') {
      call.log.error({ err: error }, 'export failed');
    } else if (classified.retryAfterSeconds !== null) {
      call.log.warn({ signal: descriptor.signal, kind: classified.kind, retryAfterSeconds: classified.retryAfterSeconds, err: classified.cause }, classified.message);
    } else {
      call.log.debug({ signal: descriptor.signal, kind: classified.kind }, classified.message);
    }
    throw classified;
  } finally {
    reservation.release();
  }
}

/**
 * Memory of the decoded rows per byte of body, reserved on top of the body
 * itself (which stays reserved too: garbage is not memory given back until
 * the GC runs). Measured with process.memoryUsage() (heapUsed + arrayBuffers,
 * after gc) around decoding a 10 MiB protobuf request of HTTP server spans
 * with 10 attributes each (bench/sample-spans.ts), and the same request as
 * 21 MiB of OTLP/JSON: the rows retained 5.1× the protobuf body, whose strings
 * are all fresh copies, and 1.25× the JSON body, whose repeated strings
 * JSON.parse shares. Decoding's intermediate objects (up to 5× more) live
 * only while one request decodes, synchronously, so they are not counted.
 */
const DECODED_BYTES_PER_BODY_BYTE: Readonly<Record<OtlpEncoding, number>> = { protobuf: 5, json: 2 };

function toBatch<S extends Signal>(signal: S, siteId: string, rows: RowOf<S>[]): RowBatch {
  // RowOf<S> ties the rows to the signal; TypeScript cannot follow that
  // through the union on its own.
  return { signal, siteId, rows } as RowBatch;
}
