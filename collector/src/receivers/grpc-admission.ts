import { randomUUID } from 'node:crypto';
import { constants as http2Constants } from 'node:http2';
import type { ServerHttp2Stream } from 'node:http2';
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { Metadata, ServerInterceptingCall, status as GrpcCode } from '@grpc/grpc-js';
import type { ServerInterceptingCallInterface, ServerInterceptor, StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import type { Authenticate } from './authenticate.ts';
import { classifyError, ReceiverError } from './errors.ts';
import { FirstMessageWatch } from './grpc-first-message.ts';
import type { FirstMessage } from './grpc-first-message.ts';
import { grpcStatusOf } from './grpc-status.ts';
import { logFailure } from './log-failure.ts';
import { MemoryReservation } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { SignalDescriptor } from './signal.ts';

export interface GrpcAdmissionOptions {
  keys: KeyResolver;
  /** The signals served: each call is authenticated as its signal says. */
  signals: readonly SignalDescriptor[];
  /** Other methods served (AnalyticsService's), by full path, and how each authenticates. Default: none. */
  methods?: readonly { path: string; authenticate: Authenticate }[];
  memoryBudget: MemoryBudget;
  /** Largest message once inflated (grpc-js enforces it too). */
  maxRequestBytes: number;
  /** Longest from a call's headers to the last byte of its request. */
  requestTimeoutMs: number;
  /** The receiver's logger; each call gets a child with its request id. */
  logger: Logger;
}

/** What the export of an admitted call takes over from its admission. */
export interface AdmittedCall {
  /** The call's logger, carrying its request id. */
  readonly log: Logger;
  /**
   * What the call holds of the memory budget: the request's bytes as they
   * arrived, then its message whole. The export adds its rows to it and
   * releases it when it ends; the admission releases it when the call ends,
   * whatever ends it (releasing twice gives back nothing more).
   */
  readonly reservation: MemoryReservation;
}

/**
 * Stands at the door of every gRPC call, as a grpc-js server interceptor, so
 * that no call costs more than the budget allows before the export sees it:
 *
 * - The key is checked on the call's headers, and only a good one lets the
 *   call go on to its handler. grpc-js reads nothing of a call's message
 *   until the handler asks for it (the HTTP/2 stream stays paused, Node
 *   buffering at most two flow-control windows of it), so a refused call is
 *   never read, inflated or decoded.
 * - Once admitted, its bytes are reserved from the memory budget as they
 *   arrive, before grpc-js buffers them, and a gzip message's inflated size
 *   (from its trailer) is reserved before grpc-js inflates it; what does not
 *   fit ends the call as `overloaded`. The message is reserved again whole
 *   once inflated, so a client that understated its size is caught there.
 * - A call whose request has not arrived whole within the time limit is ended
 *   with DEADLINE_EXCEEDED.
 * - A call ended early has its HTTP/2 stream reset (NO_ERROR, as RFC 9113
 *   §8.1 suggests once a response is complete), so its client stops sending
 *   and its stream frees a slot.
 *
 * grpc-js has no public hook for the bytes of a message, so the metering
 * listens to the HTTP/2 stream of grpc-js's BaseServerInterceptingCall, the
 * `stream` its first interceptor is handed. If a grpc-js version hides it,
 * messages are reserved only once received whole, and a warning says so.
 */
export class GrpcAdmission {
  readonly interceptor: ServerInterceptor;
  readonly #open = new Set<CallAdmission>();
  // The metadata object grpc-js hands to the handler is the one the interceptor passed on.
  readonly #admitted = new WeakMap<Metadata, CallAdmission>();

  constructor(options: GrpcAdmissionOptions) {
    let warnedNoStream = false;
    const context: CallContext = {
      options,
      open: this.#open,
      admitted: this.#admitted,
      noStream: () => {
        if (warnedNoStream) return;
        warnedNoStream = true;
        options.logger.warn('grpc-js does not expose the HTTP/2 stream of a call: gRPC messages are reserved from the memory budget only once received whole');
      },
    };
    const authenticators = new Map<string, Authenticate>([
      ...options.signals.map((signal): [string, Authenticate] => [`/${signal.grpcService}/Export`, signal.authenticate]),
      ...(options.methods ?? []).map((method): [string, Authenticate] => [method.path, method.authenticate]),
    ]);
    // grpc-js runs interceptors only for methods it has a handler for, so every path here is a signal's Export or one of `methods`.
    this.interceptor = (method, next) => new CallAdmission(context, next, authenticators.get(method.path)).call;
  }

  /** The admitted call whose handler got `metadata`, or undefined for a call this admission never saw. */
  admittedCall(metadata: Metadata): AdmittedCall | undefined {
    return this.#admitted.get(metadata);
  }

  /** Ends every open call with `error` (at shutdown, so that none can hold it). */
  endAll(error: ReceiverError): void {
    for (const call of [...this.#open]) call.refuse(error);
  }
}

interface CallContext {
  options: GrpcAdmissionOptions;
  open: Set<CallAdmission>;
  admitted: WeakMap<Metadata, CallAdmission>;
  noStream(): void;
}

/** One call, from its headers to its end. */
class CallAdmission implements AdmittedCall {
  readonly call: ServerInterceptingCall;
  readonly log: Logger;
  readonly reservation: MemoryReservation;
  readonly #context: CallContext;
  readonly #next: ServerInterceptingCallInterface;
  readonly #stream: ServerHttp2Stream | null;
  readonly #firstMessage = new FirstMessageWatch();
  // Bytes reserved for the message itself (inflated), apart from its wire bytes.
  #messageReserved = 0;
  readonly #timer: NodeJS.Timeout;
  // A status has been sent, or is no longer needed.
  #ended = false;
  // Everything held has been given back.
  #over = false;

  readonly #authenticate: Authenticate | undefined;

  constructor(context: CallContext, next: ServerInterceptingCallInterface, authenticate: Authenticate | undefined) {
    this.#context = context;
    this.#authenticate = authenticate;
    this.#next = next;
    this.log = context.options.logger.child({ reqId: randomUUID() });
    this.reservation = new MemoryReservation(context.options.memoryBudget);
    this.#stream = http2StreamOf(next);
    if (this.#stream === null) context.noStream();
    this.call = new ServerInterceptingCall(next, {
      start: (go) =>
        go({
          onReceiveMetadata: (metadata, pass) => this.#onMetadata(metadata, pass),
          onReceiveMessage: (message, pass) => this.#onMessage(message, pass),
          onReceiveHalfClose: (pass) => this.#onHalfClose(pass),
          onCancel: () => this.#onEnd(),
        }),
    });
    this.#timer = setTimeout(() => this.#timedOut(), context.options.requestTimeoutMs);
    this.#timer.unref();
    context.open.add(this);
  }

  /** Ends the call with the status of `error`, logged as the export path logs it. */
  refuse(error: unknown): void {
    if (this.#ended) return;
    const classified = classifyError(error);
    logFailure(this.log, error, classified);
    this.#end(grpcStatusOf(classified));
  }

  #onMetadata(metadata: Metadata, pass: (metadata: Metadata) => void): void {
    const credentials = { authorization: firstString(metadata.get('authorization')), clientAddress: peerAddress(this.#next.getPeer()) };
    const authenticated =
      this.#authenticate === undefined
        ? Promise.reject(new ReceiverError('internal', 'no signal is served at this gRPC method'))
        : this.#authenticate(this.#context.options.keys, credentials);
    authenticated.then(
      () => {
        if (this.#ended) return;
        // Ahead of grpc-js's own listener, so a chunk is reserved before grpc-js keeps it.
        this.#stream?.prependListener('data', this.#onData);
        this.#context.admitted.set(metadata, this);
        pass(metadata);
      },
      (error: unknown) => this.refuse(error),
    );
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#ended) return;
    try {
      this.reservation.reserve(chunk.length);
      const message = this.#firstMessage.write(chunk);
      if (message !== null) this.#reserveInflated(message);
    } catch (error) {
      // Ends the call before grpc-js's listener sees the chunk: it then ignores it.
      this.refuse(error);
    }
  };

  /** Reserves what a gzip message says it inflates to, before grpc-js inflates it. */
  #reserveInflated(message: FirstMessage): void {
    const size = message.gzipInflatedSize;
    if (size === null) return;
    const limit = this.#context.options.maxRequestBytes;
    // Sound: an honest gzip trailer is never smaller than what it inflates to (below 4 GiB).
    if (size > limit) throw new ReceiverError('too_large', `request message decompresses to a size larger than ${limit} bytes`);
    this.reservation.reserve(size);
    this.#messageReserved = size;
  }

  #onMessage(message: unknown, pass: (message: unknown) => void): void {
    const length = Buffer.isBuffer(message) ? message.length : 0;
    try {
      if (length > this.#messageReserved) this.reservation.reserve(length - this.#messageReserved);
      this.#messageReserved = Math.max(this.#messageReserved, length);
    } catch (error) {
      this.refuse(error);
      return;
    }
    pass(message);
  }

  #onHalfClose(pass: () => void): void {
    // The request is whole: what remains (decoding, the sink) has limits of its own.
    clearTimeout(this.#timer);
    pass();
  }

  #timedOut(): void {
    // A stream closed before grpc-js started the call never reports its end: make sure of it here.
    if (this.#stream?.destroyed === true) this.#onEnd();
    if (this.#ended) return;
    const ms = this.#context.options.requestTimeoutMs;
    this.log.debug({ requestTimeoutMs: ms }, 'gRPC request did not arrive in time');
    this.#end({ code: GrpcCode.DEADLINE_EXCEEDED, details: `request did not arrive whole within ${ms} ms`, metadata: new Metadata() });
  }

  #end(status: StatusObject): void {
    if (this.#ended) return;
    this.#ended = true;
    this.call.sendStatus(status);
  }

  /** The call is over, whatever ended it (a status sent by anyone, the client gone): everything it held goes back. */
  #onEnd(): void {
    if (this.#over) return;
    this.#over = true;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#stream?.off('data', this.#onData);
    this.reservation.release();
    this.#context.open.delete(this);
    const stream = this.#stream;
    // A client still sending after the answer is told to stop; its bytes are not read.
    if (stream !== null && !stream.closed && !stream.destroyed && stream.state.remoteClose !== 1) stream.close(http2Constants.NGHTTP2_NO_ERROR);
  }
}

/** The HTTP/2 stream of grpc-js's base call, or null when grpc-js no longer exposes it. */
function http2StreamOf(call: ServerInterceptingCallInterface): ServerHttp2Stream | null {
  const stream: unknown = (call as unknown as { stream?: unknown }).stream;
  if (!(stream instanceof Duplex)) return null;
  const candidate = stream as Partial<ServerHttp2Stream>;
  return typeof candidate.respond === 'function' && typeof candidate.close === 'function' && 'state' in candidate ? (stream as ServerHttp2Stream) : null;
}

export function firstString(values: readonly (string | Buffer)[]): string | undefined {
  const first = values[0];
  return typeof first === 'string' ? first : undefined;
}

/**
 * The address part of grpc-js's peer: "1.2.3.4:5678", "[::1]:5678", or (as
 * grpc-js writes IPv6 peers) "::1:5678"; the whole string when it has no port.
 */
export function peerAddress(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed !== null) return bracketed[1] as string;
  const withPort = /^(.+):\d+$/.exec(peer);
  return withPort !== null && isIP(withPort[1] as string) !== 0 ? (withPort[1] as string) : peer;
}
