import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isIPv4, isIPv6 } from 'node:net';
import { queryOnce } from './test-database.ts';

const run = promisify(execFile);

/** A place an address was found: `table.column` of some row, or a line of the dump. */
export interface IpFinding {
  where: string;
  ip: string;
}

/** Columns that may hold addresses because the site's owner typed them there (exclusion settings). */
const ALLOWED = new Set(['sites.excluded_ips']);

/**
 * Every place in the database holding one of `ips`, in any spelling that
 * could be stored: the text form, and in bytea columns also the raw 4 or 16
 * bytes. With a pg_dump of the server's major version on the PATH the whole
 * dump is searched (every table, every type); otherwise, and in any case, every
 * text, varchar, jsonb, text[] and bytea column of every table is scanned.
 * Returns how it searched, so a test can say which check ran.
 */
export async function findIpsInDatabase(url: string, ips: readonly string[]): Promise<{ method: 'pg_dump' | 'column scan'; findings: IpFinding[] }> {
  const dump = await dumpIfVersionMatches(url);
  if (dump !== null) {
    const findings: IpFinding[] = [];
    let table = '';
    for (const line of dump.split('\n')) {
      const copy = /^COPY ([^ ]+) /.exec(line);
      if (copy) table = copy[1]!;
      for (const ip of ips) {
        // sites holds the owner's exclusion settings, the one place addresses may be.
        if (line.includes(ip) && table !== 'public.sites') findings.push({ where: `dump: ${line.slice(0, 200)}`, ip });
      }
    }
    // The dump leaves bytea in hex: raw address bytes are looked for there too.
    for (const ip of ips) {
      const hex = rawBytes(ip)?.toString('hex');
      if (hex && dump.includes(hex)) findings.push({ where: 'dump: raw address bytes in a bytea value', ip });
    }
    return { method: 'pg_dump', findings: [...findings, ...(await scanColumns(url, ips))] };
  }
  return { method: 'column scan', findings: await scanColumns(url, ips) };
}

async function dumpIfVersionMatches(url: string): Promise<string | null> {
  let client: string;
  try {
    client = (await run('pg_dump', ['--version'])).stdout;
  } catch {
    return null;
  }
  const [row] = await queryOnce<{ server_version_num: string }>(url, 'SHOW server_version_num');
  const serverVersion = row?.server_version_num ?? '0';
  const clientMajor = /(\d+)\.\d+/.exec(client)?.[1];
  if (clientMajor === undefined || Number(clientMajor) !== Math.floor(Number(serverVersion) / 10000)) return null;
  const { stdout } = await run('pg_dump', ['--data-only', '--no-owner', url], { maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

async function scanColumns(url: string, ips: readonly string[]): Promise<IpFinding[]> {
  // Parent tables only: a partitioned table's scan covers its partitions.
  const columns = await queryOnce<{ table_name: string; column_name: string; data_type: string }>(
    url,
    `SELECT c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace
      WHERE c.table_schema = 'public' AND NOT k.relispartition
        AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY', 'inet', 'cidr')`,
  );
  const findings: IpFinding[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    const where = `${table}.${column}`;
    if (ALLOWED.has(where)) continue;
    for (const ip of ips) {
      const found =
        type === 'bytea'
          ? await queryOnce(url, `SELECT 1 FROM ${quote(table)} WHERE position($1::bytea in ${quote(column)}) > 0 OR position($2::bytea in ${quote(column)}) > 0 LIMIT 1`, [
              Buffer.from(ip),
              rawBytes(ip) ?? Buffer.from(ip),
            ])
          : await queryOnce(url, `SELECT 1 FROM ${quote(table)} WHERE ${quote(column)}::text LIKE '%' || $1 || '%' LIMIT 1`, [ip]);
      if (found.length > 0) findings.push({ where, ip });
    }
  }
  return findings;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function rawBytes(ip: string): Buffer | null {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return null;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return Buffer.from(groups.map((group) => group.padStart(4, '0')).join(''), 'hex');
}
