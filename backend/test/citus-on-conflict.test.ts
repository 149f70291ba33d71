// Every upsert target in the backend's source includes site_id, so each upsert
// is answered by one shard on Citus: a scan of `ON CONFLICT (…)` in SQL text
// and of Kysely's `.onConflict(oc => oc.column(s)(…))`, outside comments. The
// only exception is an upsert into a reference table (db/citus.ts), which has
// no distribution column: the service-edges job's one-row cursor. The scanner
// is tested too, on source that breaks the rule in each way it can.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import t from 'tap';
import { citusReferenceTables } from '../src/db/citus.ts';

const srcDir = new URL('../src', import.meta.url).pathname;

interface Upsert {
  file: string;
  line: number;
  /** The table inserted into, when the source names it; null when built from a variable. */
  table: string | null;
  /** The conflict target's columns; null when there is none, or a constraint is named instead. */
  columns: string[] | null;
}

/** The source without comment lines (doc comments mention ON CONFLICT). */
function codeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? '' : line))
    .join('\n');
}

function tableBefore(text: string, at: number): string | null {
  const before = text.slice(0, at);
  const pattern = /INSERT\s+INTO\s+([a-z_]+|\$\{[^}]*\})|insertInto\(\s*'([a-z_]+)'|unnestInsert\(\s*'([a-z_]+)'/gi;
  let table: string | null = null;
  for (const match of before.matchAll(pattern)) table = match[2] ?? match[3] ?? (match[1]!.startsWith('$') ? null : match[1]!);
  return table;
}

function scan(file: string, source: string): { upserts: Upsert[]; unreadable: string[] } {
  const text = codeLines(source);
  const lineOf = (at: number): number => text.slice(0, at).split('\n').length;
  const upserts: Upsert[] = [];
  const unreadable: string[] = [];
  for (const match of text.matchAll(/ON\s+CONFLICT\s*(?:\(([^)]*)\))?/gi)) {
    const columns = match[1] === undefined ? null : match[1].split(',').map((column) => column.trim());
    upserts.push({ file, line: lineOf(match.index), table: tableBefore(text, match.index), columns });
  }
  for (const match of text.matchAll(/\.onConflict\(/g)) {
    const call = text.slice(match.index, match.index + 300);
    const target = /^\.onConflict\(\s*\(?\s*(\w+)\s*\)?\s*=>\s*\1\s*\.(columns?|constraint|expression)\(([^)]*)\)/.exec(call);
    if (target === null) {
      unreadable.push(`${file}:${lineOf(match.index)}`);
      continue;
    }
    const columns = target[2]!.startsWith('column') ? [...target[3]!.matchAll(/'([a-z_]+)'/g)].map((name) => name[1]!) : null;
    upserts.push({ file, line: lineOf(match.index), table: tableBefore(text, match.index), columns });
  }
  return { upserts, unreadable };
}

function violations(upserts: readonly Upsert[]): string[] {
  const reference = new Set<string>(citusReferenceTables);
  return upserts
    .filter((upsert) => !(upsert.table !== null && reference.has(upsert.table)) && !upsert.columns?.includes('site_id'))
    .map((upsert) => `${upsert.file}:${upsert.line} (${upsert.table ?? 'a table named by a variable'}): ON CONFLICT ${upsert.columns ? `(${upsert.columns.join(', ')})` : 'without a column list'}`);
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => join(entry.parentPath, entry.name));
}

t.test("every upsert of the backend's source targets site_id, or a reference table", async (t) => {
  const upserts: Upsert[] = [];
  const unreadable: string[] = [];
  for (const path of await sourceFiles(srcDir)) {
    const found = scan(relative(srcDir, path), await readFile(path, 'utf8'));
    upserts.push(...found.upserts);
    unreadable.push(...found.unreadable);
  }
  t.same(unreadable, [], 'every .onConflict call is one the scan can read');
  t.same(violations(upserts), []);

  // The scan finds the upserts known today (more may come; none may be missed).
  const found = upserts.map((upsert) => `${upsert.file} ${upsert.table ?? '?'} (${upsert.columns?.join(', ')})`);
  for (const known of [
    'store/traces/trace-summaries.ts trace_summaries (site_id, trace_id, day)',
    'store/traces/red-rollups.ts ? (site_id, time, service_name, span_name, span_kind, is_root)',
    'store/resource-scopes.ts resource_scopes (site_id, id, day)',
    'store/metrics/metric-series.ts metric_series (site_id, id, day)',
    'jobs/service-edges.ts service_edge_progress (id)',
  ]) {
    t.ok(found.includes(known), `found ${known}`);
  }
});

t.test('the scan names each kind of break', async (t) => {
  const source = `
// ON CONFLICT (id) in a comment is not code
const a = sql\`INSERT INTO logs (site_id, x) VALUES (1, 2) ON CONFLICT (x) DO NOTHING\`;
const b = \`INSERT INTO \${table} AS r (x) SELECT 1 ON CONFLICT DO NOTHING\`;
const c = \`\${unnestInsert('spans', columns)} ON CONFLICT ON CONSTRAINT spans_pkey DO NOTHING\`;
await db.insertInto('trace_summaries').values(row).onConflict((oc) => oc.columns(['trace_id', 'day']).doNothing()).execute();
await db.insertInto('sites').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
await db.insertInto('logs').values(row).onConflict(build).execute();
`;
  const found = scan('example.ts', source);
  t.same(found.unreadable, ['example.ts:8']);
  t.same(violations(found.upserts), [
    'example.ts:3 (logs): ON CONFLICT (x)',
    'example.ts:4 (a table named by a variable): ON CONFLICT without a column list',
    'example.ts:5 (spans): ON CONFLICT without a column list',
    'example.ts:6 (trace_summaries): ON CONFLICT (trace_id, day)',
  ]);
});
