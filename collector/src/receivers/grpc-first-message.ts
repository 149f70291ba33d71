/** The first message of a gRPC call, as its length prefix and its last bytes describe it. */
export interface FirstMessage {
  /** Its bytes on the wire, without the 5-byte prefix. */
  length: number;
  compressed: boolean;
  /**
   * For a gzip message, the size its trailer (ISIZE) says it inflates to;
   * null otherwise. Only as honest as the client, and modulo 2^32, but never
   * smaller than the inflated size when it is honest and under 4 GiB.
   */
  gzipInflatedSize: number | null;
}

// Ten bytes of gzip header and eight of trailer (CRC32, ISIZE).
const GZIP_MIN_LENGTH = 18;

/**
 * Follows the first length-prefixed message of a call through the request's
 * wire chunks, without keeping them, to tell when its last byte has arrived
 * and how large it says it will be once inflated: enough to reserve memory
 * for it before anyone inflates it.
 */
export class FirstMessageWatch {
  readonly #prefix = Buffer.alloc(5);
  #prefixBytes = 0;
  #remaining = 0;
  // The first two bytes (gzip's magic number) and the last four (ISIZE) seen so far.
  #head = Buffer.alloc(0);
  #tail = Buffer.alloc(0);
  #done = false;

  /** Takes the next chunk of the request; returns the message once, with the chunk holding its last byte, and null otherwise. */
  write(chunk: Buffer): FirstMessage | null {
    if (this.#done) return null;
    let offset = 0;
    if (this.#prefixBytes < this.#prefix.length) {
      offset = chunk.copy(this.#prefix, this.#prefixBytes, 0, this.#prefix.length - this.#prefixBytes);
      this.#prefixBytes += offset;
      if (this.#prefixBytes < this.#prefix.length) return null;
      this.#remaining = this.#prefix.readUInt32BE(1);
    }
    const part = chunk.subarray(offset, offset + this.#remaining);
    this.#remaining -= part.length;
    // Copies, not views: a view would keep the whole chunk alive.
    if (this.#head.length < 2) this.#head = Buffer.concat([this.#head, part.subarray(0, 2 - this.#head.length)]);
    this.#tail = Buffer.concat([this.#tail, part.subarray(-4)]).subarray(-4);
    if (this.#remaining > 0) return null;
    this.#done = true;
    const length = this.#prefix.readUInt32BE(1);
    const compressed = this.#prefix[0] === 1;
    const gzip = compressed && length >= GZIP_MIN_LENGTH && this.#head[0] === 0x1f && this.#head[1] === 0x8b;
    return { length, compressed, gzipInflatedSize: gzip ? this.#tail.readUInt32LE(0) : null };
  }
}
