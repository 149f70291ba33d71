/**
 * One column of a table written by COPY: its name, its PostgreSQL type as the
 * catalog names it (`pg_type.typname`, e.g. `int8`, `timestamptz`), and how a
 * row becomes its value in COPY text. A table's spec lists them in one order,
 * from which the COPY statement and each COPY line are made, so a column is
 * written down once besides its migration (test/db-column-specs.test.ts holds
 * every spec against the migrated catalog).
 */
export interface CopyColumn<Row, Name extends string = string> {
  name: Name;
  type: string;
  copy(row: Row): string;
}

/** A builder of a table's columns, typed by the row COPY takes, keeping each name's literal type. */
export function copyColumnsOf<Row>(): <const Name extends string>(name: Name, type: string, copy: (row: Row) => string) => CopyColumn<Row, Name> {
  return (name, type, copy) => ({ name, type, copy });
}

/** `COPY table (columns…) FROM STDIN`, in text format. */
export function copyStatement(table: string, columns: readonly CopyColumn<never>[]): string {
  return `COPY ${table} (${columns.map((column) => column.name).join(', ')}) FROM STDIN`;
}

/** One row as a line of COPY text, in the spec's column order. */
export function copyLine<Row>(columns: readonly CopyColumn<Row>[], row: Row): string {
  let line = columns[0]!.copy(row);
  for (let i = 1; i < columns.length; i++) line += '\t' + columns[i]!.copy(row);
  return line + '\n';
}

/** COPY text of the rows in chunks of about `chunkChars`, so a large flush is never one huge string. */
export function* copyChunks<Row>(columns: readonly CopyColumn<Row>[], rows: Iterable<Row>, chunkChars = 256 * 1024): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += copyLine(columns, row);
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * One column of a table written by `INSERT … SELECT FROM unnest(…)`: its
 * name, its catalog type, and the row's value as a query parameter (one
 * array per column). The statement and the arrays come from the same spec.
 */
export interface ParamColumn<Row, Name extends string = string> {
  name: Name;
  type: string;
  value(row: Row): string | Buffer | null;
}

export function paramColumnsOf<Row>(): <const Name extends string>(name: Name, type: string, value: (row: Row) => string | Buffer | null) => ParamColumn<Row, Name> {
  return (name, type, value) => ({ name, type, value });
}

/**
 * `INSERT INTO table [AS alias] (columns…) SELECT * FROM unnest($1::type[], …)`; a caller may add an ON CONFLICT clause.
 * An array column (catalog type `_int8` …) goes in as one array literal per row in a `text[]` and is cast back, since
 * unnest would flatten an array of arrays.
 */
export function unnestInsert(table: string, columns: readonly ParamColumn<never>[], alias?: string): string {
  const names = columns.map((column) => column.name).join(', ');
  const isArray = (column: ParamColumn<never>): boolean => column.type.startsWith('_');
  const arrays = columns.map((column, i) => `$${i + 1}::${isArray(column) ? 'text' : column.type}[]`).join(', ');
  const into = `INSERT INTO ${table}${alias === undefined ? '' : ` AS ${alias}`} (${names})`;
  if (!columns.some(isArray)) return `${into}\nSELECT * FROM unnest(${arrays})`;
  const values = columns.map((column) => (isArray(column) ? `u.${column.name}::${column.type.slice(1)}[]` : `u.${column.name}`)).join(', ');
  return `${into}\nSELECT ${values} FROM unnest(${arrays}) AS u (${names})`;
}

/** The parameters of unnestInsert: one array per column, in the spec's order. */
export function unnestParams<Row>(columns: readonly ParamColumn<Row>[], rows: readonly Row[]): unknown[][] {
  return columns.map((column) => rows.map((row) => column.value(row)));
}

/** The names of a spec's columns, for checking a Kysely table type against it. */
export type ColumnNames<Columns extends readonly { name: string }[]> = Columns[number]['name'];

/** `true` when A and B are the same set of names, else never. */
export type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;

/** Compiles only with `true`: wrap a SameNames in it to make a mismatch a type error. */
export type Assert<T extends true> = T;
