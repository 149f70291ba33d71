/**
 * User-agent client hints (`Sec-CH-UA*`), read by our own small parser
 * because ua-parser-js 1.x (the MIT line) has none. Chromium browsers freeze
 * their UA string (Windows 11 says "Windows NT 10.0", macOS is always
 * 10_15_7, the browser version is "131.0.0.0"); the hints carry the truth.
 * Browsers send `Sec-CH-UA`, `-Mobile` and `-Platform` by default over HTTPS;
 * `-Full-Version-List` and `-Platform-Version` only when asked (Accept-CH, and
 * a Permissions-Policy delegation for a cross-origin collector).
 */
export interface ClientHints {
  /** Brands without GREASE entries, as sent (e.g. 'Google Chrome'), with the most precise version known. */
  brands: { brand: string; version: string }[];
  mobile: boolean | null;
  /** e.g. 'Windows', 'macOS', 'Android', 'Linux', 'Chrome OS'; '' when not sent. */
  platform: string;
  /** e.g. '15.0.0'; '' when not sent. */
  platformVersion: string;
}

/** The request headers the hints are read from (lower-case names). */
export type HeaderReader = (name: string) => string | undefined;

/**
 * GREASE brands ("Not A;Brand", "Not_A Brand", "Not)A;Brand", …) are random
 * decoys meant to be ignored: anything spelling "not … a … brand".
 */
const greaseBrand = /not.?a.?brand/i;

/** Reads the hints of a request; null when it sent none of them (Firefox, Safari, older browsers). */
export function readClientHints(header: HeaderReader): ClientHints | null {
  const ua = header('sec-ch-ua');
  const fullList = header('sec-ch-ua-full-version-list');
  const mobile = header('sec-ch-ua-mobile');
  const platform = header('sec-ch-ua-platform');
  const platformVersion = header('sec-ch-ua-platform-version');
  if (ua === undefined && fullList === undefined && mobile === undefined && platform === undefined) return null;
  const brands = brandList(ua ?? '');
  // The full version list, when sent, gives the precise version of the same brands.
  for (const { brand, version } of brandList(fullList ?? '')) {
    const known = brands.find((entry) => entry.brand === brand);
    if (known === undefined) brands.push({ brand, version });
    else known.version = version;
  }
  return {
    brands,
    mobile: structuredBoolean(mobile),
    platform: structuredString(platform) ?? '',
    platformVersion: structuredString(platformVersion) ?? '',
  };
}

function brandList(text: string): { brand: string; version: string }[] {
  const brands: { brand: string; version: string }[] = [];
  for (const item of structuredList(text)) {
    if (item.value === '' || greaseBrand.test(item.value)) continue;
    brands.push({ brand: item.value, version: item.params.get('v') ?? '' });
  }
  return brands;
}

interface ListItem {
  value: string;
  params: Map<string, string>;
}

/**
 * A structured-field list (RFC 8941) of strings with parameters, as the
 * brand lists are: `"Chromium";v="131", "Google Chrome";v="131"`. Lenient:
 * a malformed member is skipped, never an error (headers are client input).
 */
export function structuredList(text: string): ListItem[] {
  const items: ListItem[] = [];
  let at = 0;
  const skipSpaces = (): void => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
  };
  const readBare = (): string => {
    const start = at;
    while (at < text.length && !';,'.includes(text[at] ?? '') && text[at] !== '=' && text[at] !== ' ') at++;
    return text.slice(start, at);
  };
  const readValue = (): string | null => {
    if (text[at] !== '"') return readBare();
    at++;
    let value = '';
    while (at < text.length) {
      const char = text[at++];
      if (char === '\\') value += text[at++] ?? '';
      else if (char === '"') return value;
      else value += char;
    }
    return null; // unterminated string
  };
  while (at < text.length) {
    skipSpaces();
    const value = readValue();
    const params = new Map<string, string>();
    skipSpaces();
    while (text[at] === ';') {
      at++;
      skipSpaces();
      const key = readBare().toLowerCase();
      let paramValue: string | null = '?1';
      if (text[at] === '=') {
        at++;
        paramValue = readValue();
      }
      if (key !== '' && paramValue !== null) params.set(key, paramValue);
      skipSpaces();
    }
    if (value !== null) items.push({ value, params });
    // Skip to the next member, whatever junk is left of this one.
    while (at < text.length && text[at] !== ',') at++;
    at++;
  }
  return items;
}

/** A structured-field string (`"Windows"`); a bare token is taken as sent. */
function structuredString(text: string | undefined): string | null {
  if (text === undefined) return null;
  const [item] = structuredList(text);
  return item?.value ?? null;
}

/** A structured-field boolean: `?1` or `?0`. */
function structuredBoolean(text: string | undefined): boolean | null {
  const value = text?.trim();
  if (value === '?1') return true;
  if (value === '?0') return false;
  return null;
}
