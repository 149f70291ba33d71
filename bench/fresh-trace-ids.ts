// Pre-encoded requests sent over and over would repeat their trace IDs, and a
// repeated trace ID is cheaper to store than a new one (its trace summary row
// exists, its index key is a duplicate). So each place a trace ID sits in a
// pre-built buffer (the protobuf request, or the COPY text of its rows) is
// remembered, and before each use the first 8 bytes of every trace ID are
// overwritten with a counter: every use sends traces never seen before, and the
// buffer keeps its length, so it stays valid without re-encoding.

let nextTraceNumber = BigInt(Date.now()) << 16n;

export class FreshTraceIds {
  readonly buffer: Buffer;
  // Per trace, the offsets of its ID in the buffer.
  readonly #slots: number[][];
  readonly #hex: boolean;

  /** `hex`: the buffer holds the IDs as 32 hex digits (COPY text of bytea), else as 16 raw bytes (protobuf). */
  constructor(buffer: Buffer, traceIds: readonly Buffer[], hex: boolean) {
    this.buffer = buffer;
    this.#hex = hex;
    this.#slots = traceIds.map((id) => {
      const needle = hex ? Buffer.from(id.toString('hex')) : id;
      const offsets: number[] = [];
      for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + needle.length)) offsets.push(at);
      if (offsets.length === 0) throw new Error(`trace ID ${id.toString('hex')} is not in the buffer`);
      return offsets;
    });
  }

  /** Gives every trace in the buffer a new ID and returns the buffer. */
  renew(): Buffer {
    for (const offsets of this.#slots) {
      const number = nextTraceNumber++;
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64BE(number);
      const bytes = this.#hex ? Buffer.from(prefix.toString('hex')) : prefix;
      for (const at of offsets) bytes.copy(this.buffer, at);
    }
    return this.buffer;
  }
}
