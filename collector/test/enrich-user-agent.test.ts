// Covers reading the user agent: ua-parser-js on real UA strings, our
// Sec-CH-UA* parser (structured-header lists, GREASE brands ignored) and how
// hints beat the frozen UA string, and the bot and headless signals.
import t from 'tap';
import { botSignal } from '../src/enrich/bot-signals.ts';
import { readClientHints, structuredList } from '../src/enrich/client-hints.ts';
import type { ClientHints } from '../src/enrich/client-hints.ts';
import { describeUserAgent, majorMinor } from '../src/enrich/user-agent.ts';

const ua = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  safariIpad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  firefoxUbuntu: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
  samsungPhone: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  samsungTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36',
  chromeAndroidReduced: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  googlebotSmartphone: 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  headlessChrome: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  phantom: 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1',
};

function headers(map: Record<string, string>): (name: string) => string | undefined {
  return (name) => map[name];
}

const chromeWindows11Hints = {
  'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-full-version-list': '"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
  'sec-ch-ua-platform-version': '"15.0.0"',
};

t.test('real UA strings without hints', async (t) => {
  const table: [string, string, string, string, string, string][] = [
    // UA, browser, version, os, os version, device
    [ua.chromeWindows, 'Chrome', '131.0', 'Windows', '10', 'desktop'],
    [ua.safariIphone, 'Safari', '17.5', 'iOS', '17.5', 'mobile'],
    [ua.safariIpad, 'Safari', '16.6', 'iOS', '16.6', 'tablet'],
    [ua.safariMac, 'Safari', '17.6', 'macOS', '10.15', 'desktop'],
    [ua.firefoxLinux, 'Firefox', '133.0', 'GNU/Linux', '', 'desktop'],
    [ua.firefoxUbuntu, 'Firefox', '133.0', 'GNU/Linux', '', 'desktop'],
    [ua.edge, 'Edge', '131.0', 'Windows', '10', 'desktop'],
    [ua.samsungPhone, 'Samsung Internet', '26.0', 'Android', '14.0', 'mobile'],
    [ua.samsungTablet, 'Samsung Internet', '25.0', 'Android', '13.0', 'tablet'],
    [ua.chromeAndroidReduced, 'Chrome', '131.0', 'Android', '10.0', 'mobile'],
  ];
  for (const [text, browser, browserVersion, os, osVersion, device] of table) {
    t.same(describeUserAgent(text, null), { browser, browserVersion, os, osVersion, device }, `${browser} on ${os} ${device}`);
  }
});

t.test('client hints beat the frozen UA string', async (t) => {
  const hints = readClientHints(headers(chromeWindows11Hints));
  t.same(hints, {
    brands: [{ brand: 'Google Chrome', version: '131.0.6778.86' }, { brand: 'Chromium', version: '131.0.6778.86' }],
    mobile: false,
    platform: 'Windows',
    platformVersion: '15.0.0',
  }, 'GREASE brand dropped, full versions merged in');
  t.same(describeUserAgent(ua.chromeWindows, hints), {
    browser: 'Chrome', browserVersion: '131.0', os: 'Windows', osVersion: '11', device: 'desktop',
  }, 'platform version 15 is Windows 11 although the UA says NT 10.0');

  const windows10 = readClientHints(headers({ ...chromeWindows11Hints, 'sec-ch-ua-platform-version': '"10.0.0"' }));
  t.equal(describeUserAgent(ua.chromeWindows, windows10).osVersion, '10', 'platform version 1–12 is Windows 10');
  const windows7 = readClientHints(headers({ ...chromeWindows11Hints, 'sec-ch-ua-platform-version': '"0.3.0"' }));
  t.equal(describeUserAgent(ua.chromeWindows, windows7).osVersion, '10', 'platform version 0 (7/8/8.1) keeps what the UA says');

  const macHints = readClientHints(headers({
    'sec-ch-ua': '"Chromium";v="131", "Not)A;Brand";v="99", "Google Chrome";v="131"',
    'sec-ch-ua-mobile': '?0',
    'sec-ch-ua-platform': '"macOS"',
    'sec-ch-ua-platform-version': '"14.5.0"',
  }));
  t.same(describeUserAgent(ua.chromeMac, macHints), {
    browser: 'Chrome', browserVersion: '131.0', os: 'macOS', osVersion: '14.5', device: 'desktop',
  }, 'macOS 14.5 instead of the frozen 10.15; a named brand beats Chromium listed first');

  const edgeHints = readClientHints(headers({ 'sec-ch-ua': '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-platform': '"Windows"' }));
  t.same(describeUserAgent(ua.edge, edgeHints), {
    browser: 'Edge', browserVersion: '131.0', os: 'Windows', osVersion: '10', device: 'desktop',
  }, 'without a platform version the UA string keeps the OS version');

  const braveHints = readClientHints(headers({ 'sec-ch-ua': '"Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"' }));
  t.same(describeUserAgent(ua.chromeAndroidReduced, braveHints), {
    browser: 'Brave', browserVersion: '131.0', os: 'Android', osVersion: '10.0', device: 'mobile',
  }, 'Brave, which its UA string hides, is named by its brand');

  const desktopMobileHint = readClientHints(headers({ 'sec-ch-ua-mobile': '?1' }));
  t.equal(describeUserAgent(ua.chromeWindows, desktopMobileHint).device, 'mobile', 'Sec-CH-UA-Mobile ?1 makes it mobile');
  t.equal(readClientHints(headers({})), null, 'no hints at all: null');
});

t.test('structured-header lists', async (t) => {
  t.same(structuredList('"a\\"b";v="1";x, token;v=2 , "c"'), [
    { value: 'a"b', params: new Map([['v', '1'], ['x', '?1']]) },
    { value: 'token', params: new Map([['v', '2']]) },
    { value: 'c', params: new Map() },
  ]);
  t.same(structuredList('"ok", "unterminated'), [{ value: 'ok', params: new Map() }], 'an unterminated string is skipped');
  t.same(structuredList(''), []);
  t.equal(majorMinor('131.0.6778.86'), '131.0');
  t.equal(majorMinor('17'), '17.0');
  t.equal(majorMinor('10_15_7'), '10.15');
  t.equal(majorMinor('XP'), 'XP');
});

t.test('bots and headless browsers', async (t) => {
  const none: ClientHints | null = null;
  t.equal(botSignal(ua.googlebot, none), 'known_bot');
  t.equal(botSignal(ua.googlebotSmartphone, none), 'known_bot');
  t.equal(botSignal(ua.headlessChrome, none), 'headless_browser');
  t.equal(botSignal(ua.phantom, none), 'headless_browser');
  t.equal(botSignal('', none), 'empty_user_agent');
  t.equal(botSignal('   ', none), 'empty_user_agent');
  t.equal(botSignal('curl/8.5.0', none), 'known_bot');
  const headlessHints = readClientHints(headers({ 'sec-ch-ua': '"HeadlessChrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"' }));
  t.equal(botSignal(ua.chromeWindows, headlessHints), 'headless_hint', 'a faked UA string with a HeadlessChrome brand');
  for (const [name, text] of Object.entries(ua)) {
    if (['googlebot', 'googlebotSmartphone', 'headlessChrome', 'phantom'].includes(name)) continue;
    t.equal(botSignal(text, readClientHints(headers(chromeWindows11Hints))), null, `${name} is a person`);
  }
});
