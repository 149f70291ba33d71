/**
 * PostgreSQL's `hashtextextended(text, 0)` in TypeScript: Bob Jenkins' lookup3
 * hash (public domain) over the text's UTF-8 bytes, as `hash_bytes_extended`
 * in PostgreSQL's src/common/hashfn.c computes it on a little-endian machine,
 * returned as the signed int8 PostgreSQL prints (a decimal string).
 *
 * The same function on both sides lets the store hash at ingest in the
 * application while SQL (a backfill, the benchmark's seed) hashes the same
 * texts in the database. test/db-text-hash.test.ts holds it against the server.
 */
export function hashTextExtended(text: string): string {
  const bytes = utf8(text);
  let len = utf8Length;
  let a = (0x9e3779b9 + len + 3923095) | 0;
  let b = a;
  let c = a;
  let k = 0;
  while (len >= 12) {
    a = (a + word(bytes, k)) | 0;
    b = (b + word(bytes, k + 4)) | 0;
    c = (c + word(bytes, k + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    k += 12;
    len -= 12;
  }
  // The last 11 bytes, little-endian; the lowest byte of c is left for the length.
  if (len >= 11) c = (c + (bytes[k + 10]! << 24)) | 0;
  if (len >= 10) c = (c + (bytes[k + 9]! << 16)) | 0;
  if (len >= 9) c = (c + (bytes[k + 8]! << 8)) | 0;
  if (len >= 8) b = (b + (bytes[k + 7]! << 24)) | 0;
  if (len >= 7) b = (b + (bytes[k + 6]! << 16)) | 0;
  if (len >= 6) b = (b + (bytes[k + 5]! << 8)) | 0;
  if (len >= 5) b = (b + bytes[k + 4]!) | 0;
  if (len >= 4) a = (a + (bytes[k + 3]! << 24)) | 0;
  if (len >= 3) a = (a + (bytes[k + 2]! << 16)) | 0;
  if (len >= 2) a = (a + (bytes[k + 1]! << 8)) | 0;
  if (len >= 1) a = (a + bytes[k]!) | 0;
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  // ((uint64) b << 32) | c, read as int8: b is already the signed high word.
  return (BigInt(b) * 4294967296n + BigInt(c >>> 0)).toString();
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function word(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1024);
let utf8Length = 0;

/** The text's UTF-8 bytes in a reused buffer (valid until the next call), their count in utf8Length. */
function utf8(text: string): Uint8Array {
  // Up to 3 bytes per UTF-16 unit.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  // ASCII (nearly every key and value) copied by hand: cheaper than the encoder's call.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      utf8Length = encoder.encodeInto(text, scratch).written;
      return scratch;
    }
    scratch[i] = code;
  }
  utf8Length = text.length;
  return scratch;
}
