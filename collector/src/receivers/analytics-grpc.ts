import type { sendUnaryData, Server, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import { ANALYTICS_SERVICE, IdentifyResponse, IngestEventsResponse } from '@justanalytics/proto';
import type { Type } from 'protobufjs';
import type { Logger } from 'pino';
import { ingestEvents, ingestIdentify } from './analytics-ingest.ts';
import type { AnalyticsIngestContext, IngestOutcome } from './analytics-ingest.ts';
import { authenticateIngest } from './authenticate.ts';
import type { Authenticate } from './authenticate.ts';
import type { ReceiverError } from './errors.ts';
import type { GrpcAdmission } from './grpc-admission.ts';
import { toServiceError } from './grpc-status.ts';
import { grpcExportCall, rawUnaryMethod } from './grpc-unary.ts';

type Ingest = (context: AnalyticsIngestContext, call: Parameters<typeof ingestEvents>[1]) => Promise<IngestOutcome>;

interface AnalyticsMethod {
  name: 'IngestEvents' | 'Identify';
  ingest: Ingest;
  response: Type;
}

const METHODS: readonly AnalyticsMethod[] = [
  { name: 'IngestEvents', ingest: ingestEvents, response: IngestEventsResponse },
  { name: 'Identify', ingest: ingestIdentify, response: IdentifyResponse },
];

/** The AnalyticsService methods as the admission sees them: every one takes an ingest key, checked on the headers. */
export const analyticsGrpcMethods: readonly { path: string; authenticate: Authenticate }[] = METHODS.map((method) => ({
  path: methodPath(method),
  authenticate: authenticateIngest,
}));

/**
 * Serves justanalytics.analytics.v1.AnalyticsService on `server`: the same
 * path as POST /api/ingest/events and /api/ingest/identify
 * (analytics-ingest.ts), on the raw message grpc-js hands over once the
 * admission let the call in (its key checked on the metadata, its bytes
 * reserved as they arrived), with the same status mapping as OTLP/gRPC.
 */
export function addAnalyticsService(server: Server, admission: GrpcAdmission, context: AnalyticsIngestContext, logger: Logger): void {
  const handlers: Record<string, (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void> = {};
  for (const method of METHODS) {
    handlers[method.name] = (call, callback) => {
      method
        .ingest(context, grpcExportCall(call, admission, logger))
        .then(
          (outcome) => callback(null, encode(method.response, outcome)),
          (error: ReceiverError) => callback(toServiceError(error)),
        );
    };
  }
  server.addService(serviceDefinition(), handlers);
}

function encode(type: Type, outcome: IngestOutcome): Buffer {
  const bytes = type.encode(type.fromObject(outcome)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function methodPath(method: AnalyticsMethod): string {
  return `/${ANALYTICS_SERVICE}/${method.name}`;
}

function serviceDefinition(): ServiceDefinition {
  return Object.fromEntries(METHODS.map((method) => [method.name, rawUnaryMethod(methodPath(method), method.name.charAt(0).toLowerCase() + method.name.slice(1))]));
}
