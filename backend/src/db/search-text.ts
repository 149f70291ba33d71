/**
 * The one case fold of searchable text, applied by the application both to
 * what is stored (logs.search_text) and to the terms searched for, so that a
 * search matches the same way on every PostgreSQL, whatever its locale: the
 * embedded cluster runs with --no-locale, where PostgreSQL's own lower() leaves
 * "Ä" and "ä" apart. NFKC first, so that compatibility forms (full-width
 * letters, ligatures) match their plain spelling; then Unicode lower case.
 */
export function foldSearchText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
