/** The page URL of an event was not an absolute http(s) URL: the receiver answers 400. */
export class InvalidPageUrlError extends Error {
  readonly code = 'invalid_url';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPageUrlError';
  }
}

/** The five campaign parameters, '' when absent. */
export interface UtmParams {
  source: string;
  medium: string;
  campaign: string;
  term: string;
  content: string;
}

/** A page URL as stored: no tracking parameters left, only which click ID there was. */
export interface PageUrl {
  /** Lower-cased as URL parsing does; `www.` kept as sent. */
  hostname: string;
  /** Percent-decoded where that is safe (reserved characters stay encoded); a trailing slash kept as sent. */
  pathname: string;
  /** The query without tracking parameters, 'a=1&b=2' (no '?'), pieces kept as sent; '' when none. */
  query: string;
  utm: UtmParams;
  /** The first click ID parameter the URL had ('gclid', 'fbclid', …), never its value; '' when none. */
  clickId: string;
  /** `ref` (else `source`): a source hint that sites put in links instead of utm_source. Kept in the query. */
  ref: string;
}

/**
 * Ad platforms' click IDs and mail tools' recipient IDs: identifiers of a
 * person or a click, stripped from what is stored. In priority order for
 * `clickId` (a URL rarely has two).
 */
export const clickIdParams = [
  'gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'fbclid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid',
  'yclid', 'mc_eid',
] as const;

/** Other tracking parameters stripped without being named: Google's linker and ad/listing tags, mail tools' IDs. */
const otherTrackingParams = new Set(['_gl', 'gad_source', 'gad_campaignid', 'srsltid', 'mc_cid', '_hsenc', '_hsmi', 'igshid']);
const clickIdRank = new Map<string, number>(clickIdParams.map((name, rank) => [name, rank]));

/** Parses an event's page URL; throws InvalidPageUrlError unless it is an absolute http(s) URL. */
export function parsePageUrl(text: string): PageUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidPageUrlError('url is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidPageUrlError('url must be http or https');
  if (url.hostname === '') throw new InvalidPageUrlError('url has no host');

  const utm: UtmParams = { source: '', medium: '', campaign: '', term: '', content: '' };
  const kept: string[] = [];
  let clickId = '';
  let ref = '';
  let source = '';
  for (const piece of url.search.slice(1).split('&')) {
    if (piece === '') continue;
    const equals = piece.indexOf('=');
    const key = decodeFormComponent(equals < 0 ? piece : piece.slice(0, equals)).toLowerCase();
    const value = equals < 0 ? '' : decodeFormComponent(piece.slice(equals + 1)).trim();
    if (key.startsWith('utm_')) {
      const field = key.slice(4);
      if (isUtmField(field) && utm[field] === '') utm[field] = value;
      continue;
    }
    const rank = clickIdRank.get(key);
    if (rank !== undefined) {
      if (clickId === '' || rank < (clickIdRank.get(clickId) ?? 0)) clickId = key;
      continue;
    }
    if (otherTrackingParams.has(key)) continue;
    if (key === 'ref' && ref === '') ref = value;
    if (key === 'source' && source === '') source = value;
    kept.push(piece);
  }
  return {
    hostname: url.hostname.toLowerCase(),
    pathname: decodePathname(url.pathname),
    query: kept.join('&'),
    utm,
    clickId,
    ref: ref !== '' ? ref : source,
  };
}

function isUtmField(field: string): field is keyof UtmParams {
  return field === 'source' || field === 'medium' || field === 'campaign' || field === 'term' || field === 'content';
}

/** Query components as forms encode them ('+' is a space); a malformed escape is kept as sent. */
function decodeFormComponent(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * `/caf%C3%A9/` → `/café/`. decodeURI leaves reserved characters (%2F, %3F,
 * %23, …) encoded, so the decoded path still splits into the same segments;
 * a malformed escape or invalid UTF-8 keeps the path as sent.
 */
function decodePathname(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}
