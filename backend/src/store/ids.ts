const maxBigint = 9223372036854775807n;

/**
 * True when `id` can be a bigint row ID (sites, keys): decimal, positive, in
 * range. Checked before querying so a malformed ID is "not found", not a
 * database error.
 */
export function isRowId(id: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(id) && BigInt(id) <= maxBigint;
}
