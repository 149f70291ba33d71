import { Metadata } from '@grpc/grpc-js';
import type { ServerErrorResponse, StatusObject } from '@grpc/grpc-js';
import { encodeRpcStatus, grpcCodeOf } from './errors.ts';
import type { ReceiverError } from './errors.ts';

/**
 * The status a gRPC call ends with for a classified failure: the code and
 * message, and the google.rpc.Status (with RetryInfo when retryable) in
 * grpc-status-details-bin. Whether the call is refused at its headers, while
 * its message arrives or by the export, the client gets the same answer.
 */
export function grpcStatusOf(error: ReceiverError): StatusObject {
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encodeRpcStatus(error, 'protobuf'));
  return { code: grpcCodeOf(error), details: error.message, metadata };
}

/** The same status, as the error a unary handler's callback takes. */
export function toServiceError(error: ReceiverError): ServerErrorResponse {
  return Object.assign(new Error(error.message), grpcStatusOf(error));
}
