import type { PropValue } from './event-row.ts';

/**
 * An identify call (POST /api/ingest/identify, or its gRPC twin): the
 * anonymous ID a server SDK used until now belongs to `userId`. The store
 * keeps one identity per (site, anonymous ID), the latest user and traits
 * winning, and from then on that anonymous visitor's events and sessions
 * belong to the user.
 */
export interface IdentityRow {
  anonymousId: string;
  userId: string;
  traits: Record<string, PropValue>;
  timeUnixNano: bigint;
}
