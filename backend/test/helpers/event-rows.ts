import { randomBytes } from 'node:crypto';
import type { EventRow, IdentityRow } from '@justanalytics/collector';

/** Nanoseconds since the epoch of an ISO time. */
export function nanosOf(iso: string): bigint {
  return BigInt(Date.parse(iso)) * 1_000_000n;
}

/** A browser pageview with every field filled; override what a test is about. */
export function makeEventRow(overrides: Partial<EventRow> & { at?: string } = {}): EventRow {
  const { at, ...rest } = overrides;
  return {
    eventId: randomBytes(16),
    timeUnixNano: nanosOf(at ?? '2026-11-30T10:00:00Z'),
    name: 'pageview',
    visitorId: 1001n,
    previousVisitorId: null,
    userId: null,
    anonymousId: null,
    hostname: 'shop.example',
    pathname: '/',
    query: '',
    title: 'Shop',
    referrer: 'https://www.google.com/',
    referrerSource: 'Google',
    channel: 'Organic Search',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmTerm: '',
    utmContent: '',
    clickId: '',
    country: 'DE',
    region: 'DE-BE',
    city: 'Berlin',
    browser: 'Firefox',
    browserVersion: '133.0',
    os: 'Linux',
    osVersion: '',
    device: 'desktop',
    screenWidth: 1920,
    screenHeight: 1080,
    engagementMs: null,
    scrollDepth: null,
    props: {},
    origin: 'browser',
    ...rest,
  };
}

export function makeIdentityRow(overrides: Partial<IdentityRow> & { at?: string } = {}): IdentityRow {
  const { at, ...rest } = overrides;
  return { anonymousId: 'anon-1', userId: 'user-1', traits: {}, timeUnixNano: nanosOf(at ?? '2026-11-30T10:00:00Z'), ...rest };
}
