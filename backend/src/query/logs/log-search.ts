import { foldSearchText } from '../../db/search-text.ts';

// The text query of a log search, and the severity levels, as plain data the
// SQL in logs.ts is built from.

/** What `q` asks for: every `include` term and no `exclude` term, each already folded. */
export interface LogTextQuery {
  include: string[];
  exclude: string[];
}

/** Terms of one q: each is a LIKE over every record the search reads. */
export const MAX_SEARCH_TERMS = 20;

/** A q with more than MAX_SEARCH_TERMS terms. */
export class TooManySearchTermsError extends Error {
  constructor(count: number) {
    super(`q may hold at most ${MAX_SEARCH_TERMS} words and phrases, got ${count}`);
    this.name = 'TooManySearchTermsError';
  }
}

// A term: optional "-", then a "quoted phrase" (its closing quote optional at
// the end) or a word: a run of non-space not starting with "-", so that a lone
// "-" is no word.
const TERM = /(-?)(?:"([^"]*)"?|([^\s"-][^\s"]*))/gu;

/**
 * Parses q: words, "quoted phrases" and -excluded words or phrases, all of
 * them required (ANDed). Words and phrases match as substrings of the
 * record's searchable text, case-folded the way it was stored. A lone "-" or
 * an empty phrase asks for nothing and is dropped.
 */
export function parseLogQuery(q: string): LogTextQuery {
  const query: LogTextQuery = { include: [], exclude: [] };
  let count = 0;
  for (const match of q.matchAll(TERM)) {
    const text = foldSearchText(match[2] ?? match[3] ?? '');
    if (text.trim() === '') continue;
    count++;
    (match[1] === '-' ? query.exclude : query.include).push(text);
  }
  if (count > MAX_SEARCH_TERMS) throw new TooManySearchTermsError(count);
  return query;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own characters escaped (escape character `\`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export type SeverityLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const severityLevels: readonly SeverityLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The first SeverityNumber of each level's range (OTLP: TRACE 1–4, DEBUG 5–8, … FATAL 21–24). */
export const severityNumbers: Readonly<Record<SeverityLevel, number>> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

// How loggers spell the levels in severity_text, lower case. OTLP's own short
// names also come numbered (INFO2, ERROR4); syslog and Java levels are mapped
// to the OTLP level the log data model gives them.
const severitySpellings: Readonly<Record<SeverityLevel, readonly string[]>> = {
  trace: ['trace', 'trc', 'finest', 'finer'],
  debug: ['debug', 'dbg', 'fine', 'config'],
  info: ['info', 'inf', 'information', 'informational', 'notice'],
  warn: ['warn', 'warning', 'wrn'],
  error: ['error', 'err', 'severe'],
  fatal: ['fatal', 'ftl', 'critical', 'crit', 'alert', 'emergency', 'emerg', 'panic'],
};
const otlpShortNames = new Set<string>(severityLevels);

/**
 * The severity_text spellings, lower case, of `level` and every level above
 * it: what a record with severity_number 0 (unspecified) is matched by.
 */
export function severityTextsAtLeast(level: SeverityLevel): string[] {
  const texts: string[] = [];
  for (const at of severityLevels.slice(severityLevels.indexOf(level))) {
    for (const spelling of severitySpellings[at]) {
      texts.push(spelling);
      if (otlpShortNames.has(spelling)) texts.push(`${spelling}2`, `${spelling}3`, `${spelling}4`);
    }
  }
  return texts;
}
