import { randomUUID } from 'node:crypto';
import type { MethodDefinition, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ExportCall } from './export.ts';
import { firstString, peerAddress } from './grpc-admission.ts';
import type { GrpcAdmission } from './grpc-admission.ts';

const identity = (buffer: Buffer): Buffer => buffer;

/**
 * A unary method whose messages grpc-js hands over and takes back as raw
 * bytes: decoding is the export's (bounded, counted first), never grpc-js's.
 */
export function rawUnaryMethod(path: string, originalName: string): MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName,
  };
}

/**
 * What an admitted unary call is to the one export path: its key from the
 * metadata, its peer (for limiting failed authentications), the bytes the
 * admission reserved as the message arrived, and the whole message.
 */
export function grpcExportCall(call: ServerUnaryCall<Buffer, Buffer>, admission: GrpcAdmission, logger: Logger): ExportCall {
  const admitted = admission.admittedCall(call.metadata);
  return {
    authorization: firstString(call.metadata.get('authorization')),
    clientAddress: peerAddress(call.getPeer()),
    encoding: 'protobuf',
    log: admitted?.log ?? logger.child({ reqId: randomUUID() }),
    // What the message took on its way in stays reserved; the export adds what it builds.
    reservation: admitted?.reservation,
    // grpc-js hands over whole messages, already reserved by the admission.
    readBody: async () => call.request,
  };
}
