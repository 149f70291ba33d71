import { UAParser } from 'ua-parser-js';
import type { ClientHints } from './client-hints.ts';

/** What a visit's user agent says, as stored on events and sessions ('' for what is not known). */
export interface UserAgentInfo {
  browser: string;
  /** major.minor, e.g. '131.0' */
  browserVersion: string;
  os: string;
  /** major.minor ('17.5', '10.15', '14.0'); Windows by its name-version ('10', '11', 'XP'). */
  osVersion: string;
  device: 'desktop' | 'mobile' | 'tablet';
}

/** ua-parser-js names that a reader would not group the way they are spelled. */
const browserNames: Record<string, string> = {
  'Mobile Safari': 'Safari',
  'Mobile Firefox': 'Firefox',
  'Mobile Chrome': 'Chrome',
};

const osNames: Record<string, string> = {
  'Mac OS': 'macOS',
  Ubuntu: 'GNU/Linux',
  Debian: 'GNU/Linux',
  Fedora: 'GNU/Linux',
  Arch: 'GNU/Linux',
  Mint: 'GNU/Linux',
  Linux: 'GNU/Linux',
  'Chromium OS': 'Chrome OS',
};

/** Client-hint brands by what we call the browser; Chromium and GREASE carry no news when another brand is there. */
const hintBrandNames: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  Opera: 'Opera',
  'Opera GX': 'Opera GX',
  Brave: 'Brave',
  YaBrowser: 'Yandex',
  'Android WebView': 'Chrome WebView',
  'Samsung Internet': 'Samsung Internet',
  Vivaldi: 'Vivaldi',
  HeadlessChrome: 'Chrome Headless',
  Chromium: 'Chromium',
};

/**
 * Browser, OS and device of a request. The UA string is read by ua-parser-js
 * 1.x; client hints, when sent, beat the frozen parts of it: the browser
 * brand and its full version, the platform and its version (Windows 11 only
 * shows as a platform version ≥ 13), and `Sec-CH-UA-Mobile`.
 */
export function describeUserAgent(userAgent: string, hints: ClientHints | null): UserAgentInfo {
  let { browser, browserVersion, os, osVersion, device } = parseUserAgentString(userAgent);
  if (hints !== null) {
    const brand = hintedBrand(hints);
    if (brand !== null && (brand.name !== 'Chromium' || browser === '' || browser === 'Chrome')) {
      // A Chromium-only list (a plain Chromium build) names it Chromium; a named brand always wins.
      browser = brand.name;
      if (brand.version !== '') browserVersion = majorMinor(brand.version);
    }
    const platform = hintedPlatform(hints.platform, hints.platformVersion);
    if (platform !== null) {
      os = platform.os;
      if (platform.version !== null) osVersion = platform.version;
    }
    if (hints.mobile === true && device === 'desktop') device = 'mobile';
  }
  return { browser, browserVersion, os, osVersion, device };
}

/**
 * ua-parser-js takes ~20 µs a string, most of an event's enrich time, and
 * traffic repeats a few hundred strings: the last ones parsed are kept. The
 * bound keeps a flood of random strings from growing memory (oldest out first).
 */
const PARSED_CACHE_SIZE = 2048;
const parsedStrings = new Map<string, Readonly<UserAgentInfo>>();

function parseUserAgentString(userAgent: string): Readonly<UserAgentInfo> {
  const cached = parsedStrings.get(userAgent);
  if (cached !== undefined) return cached;
  const result = new UAParser(userAgent).getResult();
  const parsedBrowser = result.browser.name ?? '';
  const parsedOs = result.os.name ?? '';
  const os = osNames[parsedOs] ?? parsedOs;
  // Windows versions are names ('10', '11', 'XP', '8.1'), not numbers to cut; Linux distros say none.
  const parsedOsVersion = result.os.version ?? '';
  const info: UserAgentInfo = {
    browser: browserNames[parsedBrowser] ?? parsedBrowser,
    browserVersion: majorMinor(result.browser.version ?? ''),
    os,
    osVersion: os === 'GNU/Linux' ? '' : os === 'Windows' ? parsedOsVersion : majorMinor(parsedOsVersion),
    device: deviceOf(result.device.type),
  };
  if (parsedStrings.size >= PARSED_CACHE_SIZE) {
    const oldest = parsedStrings.keys().next();
    if (oldest.done !== true) parsedStrings.delete(oldest.value);
  }
  parsedStrings.set(userAgent, info);
  return info;
}

function hintedBrand(hints: ClientHints): { name: string; version: string } | null {
  let chromium: { name: string; version: string } | null = null;
  for (const { brand, version } of hints.brands) {
    const name = hintBrandNames[brand];
    if (name === undefined) continue;
    if (name !== 'Chromium') return { name, version };
    chromium = { name, version };
  }
  return chromium;
}

/** The OS named by `Sec-CH-UA-Platform`, with its version when `-Platform-Version` came too. */
function hintedPlatform(platform: string, version: string): { os: string; version: string | null } | null {
  switch (platform) {
    case 'Windows': {
      if (version === '') return { os: 'Windows', version: null };
      const major = Number.parseInt(version, 10);
      // Platform version 13+ is Windows 11, 1–10 are Windows 10 releases, 0 is 7, 8 or 8.1 (keep the UA's).
      if (major >= 13) return { os: 'Windows', version: '11' };
      if (major >= 1) return { os: 'Windows', version: '10' };
      return { os: 'Windows', version: null };
    }
    case 'macOS':
    case 'Android':
    case 'iOS':
    case 'Chrome OS':
      return { os: platform, version: version === '' ? null : majorMinor(version) };
    case 'Linux':
      return { os: 'GNU/Linux', version: '' };
    default:
      return null;
  }
}

function deviceOf(type: string | undefined): UserAgentInfo['device'] {
  if (type === 'mobile' || type === 'wearable') return 'mobile';
  if (type === 'tablet') return 'tablet';
  // ua-parser-js names no type for desktops; TVs, consoles and embedded devices are closest to a desktop visit.
  return 'desktop';
}

/** '131.0.6778.86' → '131.0', '17' → '17.0', 'XP' → 'XP'. */
export function majorMinor(version: string): string {
  const match = /^(\d+)(?:[._](\d+))?/.exec(version);
  if (match === null) return version;
  return `${match[1]}.${match[2] ?? '0'}`;
}
