const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * Makes a string storable in PostgreSQL: text columns cannot hold NUL, and
 * jsonb rejects both `\u0000` and lone surrogates. Each offending code unit
 * becomes U+FFFD, so the rest of the value survives. Nearly every string is
 * already clean, so the two native checks run first and the copy is rare.
 */
export function sanitizeString(value: string): string {
  if (value.isWellFormed() && !value.includes(NUL)) return value;
  return value.replaceAll(NUL, REPLACEMENT).toWellFormed();
}
