/** How many distinct reasons a partial_success message names. */
const REASONS_NAMED = 3;

/**
 * Counts items refused during decoding and remembers the first distinct
 * reasons, for the OTLP partial_success error_message.
 */
export class Rejections {
  #count = 0;
  readonly #reasons: string[] = [];

  get count(): number {
    return this.#count;
  }

  add(reason: string, items = 1): void {
    if (items <= 0) return;
    this.#count += items;
    if (this.#reasons.length < REASONS_NAMED && !this.#reasons.includes(reason)) this.#reasons.push(reason);
  }

  /** "2 spans rejected: invalid trace_id (…)", or "" when nothing was rejected. */
  message(singular: string, plural: string): string {
    if (this.#count === 0) return '';
    return `${this.#count} ${this.#count === 1 ? singular : plural} rejected: ${this.#reasons.join('; ')}`;
  }
}
