import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { classifyError, ReceiverError } from './errors.ts';

export type ContentEncoding = 'identity' | 'gzip' | 'deflate' | 'zstd';

const ENCODINGS: ReadonlyMap<string, ContentEncoding> = new Map([
  ['', 'identity'],
  ['identity', 'identity'],
  ['gzip', 'gzip'],
  ['x-gzip', 'gzip'],
  ['deflate', 'deflate'],
  ['zstd', 'zstd'],
]);

/**
 * The Content-Encoding header as one supported encoding. Anything else
 * (br, a chain of encodings) is a bad request, as the OpenTelemetry
 * Collector answers it.
 */
export function parseContentEncoding(header: string | undefined): ContentEncoding {
  const encoding = ENCODINGS.get((header ?? '').trim().toLowerCase());
  if (encoding === undefined) throw new ReceiverError('malformed', `unsupported Content-Encoding "${header}" (identity, gzip, deflate and zstd are supported)`);
  return encoding;
}

/**
 * Reads a request body, inflating it as it streams in, and refuses it with
 * `too_large` as soon as either the bytes received or the bytes inflated pass
 * `maxBytes`: a gzip bomb costs at most `maxBytes` of memory, never its
 * inflated size. Each inflated chunk is also passed to `reserve` before it is
 * kept, so the memory budget sees the body grow; when `reserve` throws (the
 * budget is spent), reading stops and the body is refused with that error.
 * The source is never destroyed (that would kill the socket before the 413 or
 * 429 is sent); once refused, the rest of it is read and dropped.
 */
export function readBody(source: Readable, encoding: ContentEncoding, maxBytes: number, reserve: (bytes: number) => void = ignore): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let receivedBytes = 0;
    let bodyBytes = 0;
    let inflater: Transform | null = null;
    let sourceEnded = false;
    let settled = false;

    const finish = (error: ReceiverError | null): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
      source.off('close', onClose);
      if (inflater !== null) {
        inflater.off('data', onBody);
        inflater.destroy();
      }
      if (error === null) {
        resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bodyBytes));
        return;
      }
      // Drop whatever is still coming so the response can go out.
      source.on('error', ignore);
      source.resume();
      reject(error);
    };

    const tooLarge = (): ReceiverError => new ReceiverError('too_large', `request body exceeds the limit of ${maxBytes} bytes`);

    const onBody = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBytes) {
        finish(tooLarge());
        return;
      }
      try {
        reserve(chunk.length);
      } catch (error) {
        finish(classifyError(error));
        return;
      }
      parts.push(chunk);
    };

    const onData = (chunk: Buffer): void => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) {
        finish(tooLarge());
        return;
      }
      if (encoding === 'identity') {
        onBody(chunk);
        return;
      }
      inflater ??= createInflater(encoding, chunk);
      // Backpressure: an inflater with a full buffer pauses the socket.
      if (!inflater.write(chunk)) {
        source.pause();
        inflater.once('drain', () => source.resume());
      }
    };

    const onEnd = (): void => {
      sourceEnded = true;
      if (encoding === 'identity') {
        finish(null);
        return;
      }
      // An empty compressed body is not a valid stream of that encoding.
      inflater ??= createInflater(encoding, Buffer.alloc(0));
      inflater.end();
    };

    const onSourceError = (): void => finish(new ReceiverError('malformed', 'request body could not be read'));
    // 'close' also follows a complete body, while the inflater may still be busy.
    const onClose = (): void => {
      if (!sourceEnded) finish(new ReceiverError('malformed', 'request body ended early'));
    };

    function createInflater(kind: Exclude<ContentEncoding, 'identity'>, firstChunk: Buffer): Transform {
      const stream = newInflater(kind, firstChunk);
      stream.on('data', onBody);
      stream.once('end', () => finish(null));
      stream.once('error', () => finish(new ReceiverError('malformed', `request body is not valid ${kind} data`)));
      return stream;
    }

    if (source.destroyed) {
      // The client went away while the request waited (for authentication, say).
      settled = true;
      reject(new ReceiverError('malformed', 'request body ended early'));
      return;
    }
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onSourceError);
    source.once('close', onClose);
  });
}

function newInflater(kind: Exclude<ContentEncoding, 'identity'>, firstChunk: Buffer): Transform {
  switch (kind) {
    case 'gzip':
      return zlib.createGunzip();
    case 'zstd':
      return zlib.createZstdDecompress();
    case 'deflate':
      // HTTP's deflate is the zlib format, but some clients send raw deflate.
      return hasZlibHeader(firstChunk) ? zlib.createInflate() : zlib.createInflateRaw();
  }
}

// RFC 1950: compression method 8, and the header's two bytes a multiple of 31.
function hasZlibHeader(chunk: Buffer): boolean {
  if (chunk.length < 2) return true;
  const cmf = chunk[0] as number;
  const flg = chunk[1] as number;
  return (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

function ignore(): void {}
