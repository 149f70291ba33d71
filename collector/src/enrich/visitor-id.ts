import { createHash, createHmac } from 'node:crypto';

/**
 * The fields of a hash joined by '\n': none of a site ID, an IP address, a
 * user agent (HTTP header values hold no line breaks) or "WxH" can contain
 * one, so the join is unambiguous. Documented so another implementation
 * (a test, a migration) computes the same IDs.
 */
function hashInput(fields: readonly string[]): string {
  return fields.join('\n');
}

/** The first 8 bytes of a digest as a signed 64-bit integer (PostgreSQL `bigint`). */
function firstInt64(digest: Buffer): bigint {
  return digest.readBigInt64BE(0);
}

/**
 * The cookieless visitor ID of a browser event: HMAC-SHA256 keyed by the
 * day's salt over site ID, IP, user agent and screen size ("WxH", '' when not
 * sent). The salt is random and deleted after 48 hours, so the ID cannot be
 * recomputed from an IP later, and the same person gets a new ID each day.
 */
export function browserVisitorId(salt: Buffer, siteId: string, ip: string, userAgent: string, screen: { w: number; h: number } | null): bigint {
  const screenText = screen === null ? '' : `${screen.w}x${screen.h}`;
  const digest = createHmac('sha256', salt).update(hashInput([siteId, ip, userAgent, screenText])).digest();
  return firstInt64(digest);
}

/**
 * A server event's visitor: SHA-256 over the site ID and 'user:' + user ID
 * (else 'anon:' + anonymous ID), unsalted so the same user is one visitor
 * across days and devices (the SDK chose to identify them).
 */
export function serverVisitorId(siteId: string, who: { userId: string } | { anonymousId: string }): bigint {
  const subject = 'userId' in who ? `user:${who.userId}` : `anon:${who.anonymousId}`;
  return firstInt64(createHash('sha256').update(hashInput([siteId, subject])).digest());
}
