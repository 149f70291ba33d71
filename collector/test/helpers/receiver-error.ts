import { Readable } from 'node:stream';
import { ReceiverError } from '../../src/receivers/errors.ts';

/** The ReceiverError a promise rejects with; fails when it resolves or rejects with anything else. */
export async function receiverError(promise: Promise<unknown>): Promise<ReceiverError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReceiverError) return error;
    throw error;
  }
  throw new Error('expected a ReceiverError');
}

/** A stream of `buffer` in chunks of `size` bytes, as a socket would deliver a body. */
export function chunked(buffer: Buffer, size = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) chunks.push(buffer.subarray(at, at + size));
  return Readable.from(chunks);
}
