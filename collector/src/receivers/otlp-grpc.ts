import { randomUUID } from 'node:crypto';
import { Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import type { sendUnaryData, ServerErrorResponse, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import type { Sink } from '../sink/sink.ts';
import { encodeRpcStatus, grpcCodeOf } from './errors.ts';
import type { ReceiverError } from './errors.ts';
import { exportSignal } from './export.ts';
import type { ExportContext } from './export.ts';
import { InFlight } from './in-flight.ts';
import { memoryBudgetOf } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { DEFAULT_MAX_REQUEST_BYTES } from './defaults.ts';
import type { SignalDescriptor } from './signal.ts';
import { tracesSignal } from './traces-signal.ts';

export interface OtlpGrpcOptions {
  sink: Sink;
  keys: KeyResolver;
  logger: Logger;
  /** Tracks exports for graceful shutdown; shared with the HTTP receiver. Default: a new one. */
  inFlight?: InFlight;
  /** Largest message, after decompression (grpc-js enforces it). Default 64 MiB. */
  maxRequestBytes?: number;
  /** Memory budget of the requests in flight (messages and decoded rows); past it, RESOURCE_EXHAUSTED with RetryInfo. Default 256 MiB. */
  maxInFlightBytes?: number;
  /** The budget itself, to share one with the HTTP receiver (instead of maxInFlightBytes). Default: a new one. */
  memoryBudget?: MemoryBudget;
  /** Signals served. Default: traces. */
  signals?: readonly SignalDescriptor[];
}

/** An OTLP/gRPC server, bound by listen() and stopped by close(). */
export interface OtlpGrpcServer {
  /** Binds host:port (0 for any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting calls and resolves once the running ones have finished. */
  close(): Promise<void>;
}

/**
 * OTLP/gRPC: the signals' `Export` methods (TraceService/Export, …). Messages
 * stay raw Buffers through grpc-js, so the very decoder of OTLP/HTTP runs on
 * them; grpc-js itself inflates gzip and deflate and caps the inflated size.
 */
export function createOtlpGrpcServer(options: OtlpGrpcOptions): OtlpGrpcServer {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes <= 0) {
    throw new TypeError(`otlp-grpc: options.maxRequestBytes must be a positive integer, got ${String(options.maxRequestBytes)}`);
  }
  const context: ExportContext = {
    sink: options.sink,
    keys: options.keys,
    inFlight: options.inFlight ?? new InFlight(),
    memoryBudget: memoryBudgetOf(options, 'otlp-grpc'),
  };
  const logger = options.logger.child({ receiver: 'otlp-grpc' });
  const server = new Server({ 'grpc.max_receive_message_length': maxRequestBytes });

  for (const signal of options.signals ?? [tracesSignal]) {
    server.addService(serviceDefinition(signal), {
      Export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
        const log = logger.child({ reqId: randomUUID() });
        exportSignal(signal, context, {
          authorization: firstString(call.metadata.get('authorization')),
          clientAddress: peerAddress(call.getPeer()),
          encoding: 'protobuf',
          log,
          // grpc-js hands over whole messages: exportSignal reserves their size.
          readBody: async () => call.request,
        }).then(
          (response) => callback(null, response),
          (error: ReceiverError) => callback(toServiceError(error)),
        );
      },
    });
  }

  return {
    listen(host: string, port: number): Promise<number> {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, boundPort) => {
          if (error !== null) reject(error);
          else resolve(boundPort);
        });
      });
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.tryShutdown((error) => (error === undefined ? resolve() : reject(error)));
      });
    },
  };
}

const identity = (buffer: Buffer): Buffer => buffer;

function serviceDefinition(signal: SignalDescriptor): ServiceDefinition {
  return {
    Export: {
      path: `/${signal.grpcService}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

/** The status code and message, and the google.rpc.Status (with RetryInfo when retryable) in grpc-status-details-bin. */
function toServiceError(error: ReceiverError): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encodeRpcStatus(error, 'protobuf'));
  return Object.assign(new Error(error.message), { code: grpcCodeOf(error), details: error.message, metadata });
}

function firstString(values: readonly (string | Buffer)[]): string | undefined {
  const first = values[0];
  return typeof first === 'string' ? first : undefined;
}

/** The address part of grpc-js's peer ("1.2.3.4:5678", "[::1]:5678"), or the whole string when it has no port. */
export function peerAddress(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed !== null) return bracketed[1] as string;
  const v4 = /^([^:]+):\d+$/.exec(peer);
  return v4 === null ? peer : (v4[1] as string);
}
