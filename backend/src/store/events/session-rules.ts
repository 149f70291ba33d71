import type { EventRow } from '@justanalytics/collector';

/** A visit ends after 30 minutes without events. */
export const SESSION_TIMEOUT_MS = 1_800_000;
/** An engagement event of at least this long engages the visit (not a bounce). */
export const ENGAGED_MS = 10_000;

export const SESSION_TIMEOUT_US = BigInt(SESSION_TIMEOUT_MS) * 1000n;

export const PAGEVIEW = 'pageview';
export const ENGAGEMENT = 'engagement';

/** Pageviews count as pageviews and set the exit page; engagement events do neither. */
export function isPageview(event: Pick<EventRow, 'name'>): boolean {
  return event.name === PAGEVIEW;
}

/** A custom event, or an engagement event of ENGAGED_MS or more: the visit is not a bounce. */
export function engages(event: Pick<EventRow, 'name' | 'engagementMs'>): boolean {
  if (event.name === PAGEVIEW) return false;
  if (event.name === ENGAGEMENT) return (event.engagementMs ?? 0) >= ENGAGED_MS;
  return true;
}
