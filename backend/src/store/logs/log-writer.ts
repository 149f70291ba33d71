import type { AnyValueJson, KeyValueJson, LogRow } from '@justanalytics/collector';
import type pg from 'pg';
import { dayOfNanos } from '../../db/days.ts';
import type { PartitionedTable } from '../../db/partitions.ts';
import { foldSearchText } from '../../db/search-text.ts';
import { copyChunks } from '../../db/tables/columns.ts';
import { copyLogsSql, logColumns, type LogCopyRow } from '../../db/tables/logs.ts';
import { admitByDay } from '../admit-by-day.ts';
import { copyInto } from '../copy-into.ts';
import { ResourceScopeIds, resourceScopeRows, ResourceScopeWriter } from '../resource-scopes.ts';
import type { Admission, AfterCommit, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';

/**
 * The logs signal's writer: per flush one COPY into logs and one insert of
 * the (resource, scope) pairs not written before, into the resource_scopes
 * table spans use too.
 */
export class LogWriter implements SignalWriter<LogRow> {
  readonly tables: readonly PartitionedTable[] = ['logs', 'resource_scopes'];
  readonly #resourceScopes: ResourceScopeWriter;

  constructor(resourceScopes = new ResourceScopeWriter()) {
    this.#resourceScopes = resourceScopes;
  }

  admit(rows: readonly LogRow[], window: DayWindow): Admission<LogRow> {
    return admitLogs(rows, window);
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<LogRow>[]): Promise<AfterCommit> {
    const ids = new ResourceScopeIds();
    const resourceScopes = resourceScopeRows(writes, ids);
    await copyInto(client, copyLogsSql, copyChunks(logColumns, logCopyRows(writes, ids)));
    return this.#resourceScopes.write(client, resourceScopes);
  }

  partitionsChanged(table?: PartitionedTable): void {
    this.#resourceScopes.partitionsChanged(table);
  }
}

// severity_number is a smallint; OTLP's enum is an int32 that passes unknown values through.
const minSeverity = -32768;
const maxSeverity = 32767;

/**
 * Splits a batch into the records that can be stored and those dated outside
 * the window of kept days (by their effective time: time, else observed time,
 * else when received), or with a severity number no smallint holds. Decoding
 * already refused times of 2^63 and over.
 */
export function admitLogs(rows: readonly LogRow[], window: DayWindow): Admission<LogRow> {
  return admitByDay(rows, window, {
    noun: ['log record', 'log records'],
    dated: 'dated',
    dayOf: (row) => dayOfNanos(row.timestampUnixNano),
    rules: [
      {
        refuses: (row) => !Number.isInteger(row.severityNumber) || row.severityNumber < minSeverity || row.severityNumber > maxSeverity,
        reason: `with a severity_number outside ${minSeverity} to ${maxSeverity}`,
      },
    ],
  });
}

/**
 * Characters of a record's text kept for search. The trigram index makes
 * entries in proportion to the text, and every search reads the column: a
 * record of megabytes (a dumped payload, a stack of stacks) would cost far
 * more to index and scan than it is worth, while what people search for (a
 * message, an ID, an error name) is nearly always near the start. The full
 * body and attributes are still stored; only search is bounded.
 */
export const maxSearchTextChars = 64 * 1024;

/**
 * The text a record is searched by: the string values of its body (at any
 * depth) and of its attributes, newline-separated so that a search term does
 * not match across two values, cut at maxSearchTextChars and folded.
 */
export function logSearchText(body: AnyValueJson | null, attributes: readonly KeyValueJson[]): string {
  const parts: string[] = [];
  const budget = { left: maxSearchTextChars };
  if (body !== null) collectStrings(body, parts, budget, 0);
  for (const attribute of attributes) {
    if (budget.left <= 0) break;
    collectStrings(attribute.value, parts, budget, 0);
  }
  // Folding may lengthen the text (NFKC spells out ligatures): cut again after it.
  return cutAt(foldSearchText(parts.join('\n')), maxSearchTextChars);
}

/** The first `length` UTF-16 units of `text`, never splitting a surrogate pair. */
function cutAt(text: string, length: number): string {
  if (text.length <= length) return text;
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

// The collector bounds nesting; this only guards a caller that did not.
const maxDepth = 64;

function collectStrings(value: AnyValueJson, parts: string[], budget: { left: number }, depth: number): void {
  if (budget.left <= 0 || depth > maxDepth) return;
  if ('stringValue' in value) {
    const text = cutAt(value.stringValue, budget.left);
    // Counting the separator too keeps the joined text within the bound.
    budget.left -= text.length + 1;
    if (text !== '') parts.push(text);
  } else if ('arrayValue' in value) {
    for (const inner of value.arrayValue.values) collectStrings(inner, parts, budget, depth + 1);
  } else if ('kvlistValue' in value) {
    for (const entry of value.kvlistValue.values) collectStrings(entry.value, parts, budget, depth + 1);
  }
}

/** The logs rows of many writes' records; `ids` gives each record's resource_scopes id. */
export function* logCopyRows(writes: readonly SiteRows<LogRow>[], ids: ResourceScopeIds): Generator<LogCopyRow> {
  for (const { siteId, rows } of writes) {
    for (const { row } of rows) {
      yield { siteId, log: row, resourceScopeId: ids.of(row).id, searchText: logSearchText(row.body, row.attributes) };
    }
  }
}
