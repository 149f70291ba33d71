import { isbot } from 'isbot';
import type { ClientHints } from './client-hints.ts';

/** Why a request looks automated; null when it looks like a person's browser. */
export type BotSignal = 'empty_user_agent' | 'known_bot' | 'headless_browser' | 'headless_hint';

/**
 * Automation tools that browse like a browser and that isbot's list (made
 * for crawlers) may not name: headless builds and driven browsers.
 */
const headlessTokens = /HeadlessChrome|Headless|PhantomJS|SlimerJS|Puppeteer|Playwright|Selenium|WebDriver|Nightmare|jsdom|HtmlUnit|Cypress|Lighthouse/i;

/**
 * Whether a request comes from a bot, crawler or headless browser: an empty
 * or tiny user agent (no browser sends one), isbot's list, headless tokens
 * in the UA string, or a "HeadlessChrome" client-hint brand (headless Chrome
 * with a faked UA string still brands itself there).
 */
export function botSignal(userAgent: string, hints: ClientHints | null): BotSignal | null {
  const ua = userAgent.trim();
  if (ua.length < 10) return 'empty_user_agent';
  if (headlessTokens.test(ua)) return 'headless_browser';
  if (isbot(ua)) return 'known_bot';
  if (hints?.brands.some(({ brand }) => /headless/i.test(brand)) === true) return 'headless_hint';
  return null;
}
