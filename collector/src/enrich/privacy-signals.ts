import type { HeaderReader } from './client-hints.ts';

/**
 * A prefetch or prerender, not a visit: `Sec-Purpose: prefetch` (and
 * `prefetch;prerender`, which Chromium also sends for requests a prerendered
 * page makes before anyone sees it), the older `Purpose: prefetch`,
 * Firefox's `X-Moz: prefetch` and Safari's `X-Purpose: preview`.
 */
export function isPrefetch(header: HeaderReader): boolean {
  const secPurpose = header('sec-purpose')?.toLowerCase() ?? '';
  if (/(^|[\s;,])(prefetch|prerender)\b/.test(secPurpose)) return true;
  const purpose = header('purpose')?.trim().toLowerCase();
  if (purpose === 'prefetch' || purpose === 'preview') return true;
  if (header('x-moz')?.trim().toLowerCase() === 'prefetch') return true;
  const xPurpose = header('x-purpose')?.trim().toLowerCase();
  return xPurpose === 'preview' || xPurpose === 'prefetch';
}

/** `DNT: 1`: the visitor asked not to be tracked. */
export function doNotTrack(header: HeaderReader): boolean {
  return header('dnt')?.trim() === '1';
}

/** `Sec-GPC: 1`: Global Privacy Control, honoured like DNT. */
export function globalPrivacyControl(header: HeaderReader): boolean {
  return header('sec-gpc')?.trim() === '1';
}
