import { createHash, randomBytes } from 'node:crypto';

const keyPrefix = 'ja_sk_';
const secretBytes = 32;
// 32 bytes are 43 base64url characters (no padding).
const keyPattern = /^ja_sk_[A-Za-z0-9_-]{43}$/;

/** A new secret key: `ja_sk_` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  return keyPrefix + randomBytes(secretBytes).toString('base64url');
}

/** True when `text` has the shape of a key; anything else cannot match one, so needs no lookup. */
export function isWellFormedApiKey(text: string): boolean {
  return keyPattern.test(text);
}

/** What is stored in place of the key: its SHA-256 (the key has 256 random bits, so no salt or slow hash is needed). */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The start of the key shown in listings so a person can tell keys apart; 8 characters of the secret. */
export function displayPrefix(key: string): string {
  return key.slice(0, keyPrefix.length + 8);
}
