/**
 * How much one export request may make the decoder build. Without them a
 * 64 KB gzip request (63 MiB inflated, one span with millions of empty
 * attributes) decodes to gigabytes; with them what a request can build is
 * bounded, counted before decoding (request-scan.ts) and reserved in the
 * memory budget.
 */
export interface DecodeLimits {
  /**
   * Attributes kept per span, resource, scope, event and link; those past it
   * are dropped and added to the item's dropped_attributes_count, as OTel SDKs
   * do with their attribute count limit.
   */
  maxAttributes: number;
  /** Events kept per span; the rest are dropped into dropped_events_count. */
  maxSpanEvents: number;
  /** Links kept per span; the rest are dropped into dropped_links_count. */
  maxSpanLinks: number;
  /**
   * Items of one array value or entries of one kvlist value. OTLP has no
   * dropped count for them, so a span holding a longer one (in its
   * attributes, its events' or links', its resource's or scope's) is
   * rejected through partial_success rather than silently cut.
   */
  maxValueItems: number;
  /**
   * Levels of values nested in one another (an attribute's value is level 1,
   * an item of an array there level 2, …); deeper, the span is rejected.
   */
  maxValueDepth: number;
  /**
   * Elements of one request: every item of a repeated field (resource and
   * scope groups, spans, key-values at any level, array items, events,
   * links). Past it the request is refused whole with 400, before decoding.
   * In OTLP/JSON, values the schema does not know count one each.
   */
  maxRequestElements: number;
}

/**
 * 16,384 attributes, events, links and value items: 128 times the OTel SDKs'
 * default attribute limit, far past what instrumentation sends, and enough
 * that 10,000 attributes on one span stay whole. Depth 48 is the deepest a
 * span's attribute value can be and still decode (protobufjs stops at 100
 * nested messages; the value is the fifth and each array level adds two), so
 * by default no span protobuf can carry is cut; the limit is there to be
 * lowered.
 *
 * 1,048,576 elements per request, measured on the bench's HTTP server spans
 * (10 attributes each: 11.3 elements per 437 protobuf bytes, per 930 bytes of
 * OTLP/JSON): every OTLP/JSON request of such spans up to the 64 MiB size
 * limit passes, and every protobuf one up to 40 MiB, twice the OTel
 * Collector's own default body limit (20 MiB; 4 MiB on gRPC). The costliest
 * request it admits, a million minimal spans (48 MB of protobuf), decodes to
 * about 1.1 GB, twice what a 64 MiB request of ordinary spans does; without
 * the limit, the 64 KB gzip attack above took over 4 GB and the process.
 */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxAttributes: 16_384,
  maxSpanEvents: 16_384,
  maxSpanLinks: 16_384,
  maxValueItems: 16_384,
  maxValueDepth: 48,
  maxRequestElements: 1_048_576,
});

const NAMES = Object.keys(DEFAULT_DECODE_LIMITS) as (keyof DecodeLimits)[];

/**
 * The limits `given` overrides on top of the defaults, validated: each a
 * positive safe integer, no unknown name. Throws TypeError naming `owner`
 * (the receiver or collector whose options they are).
 */
export function decodeLimitsOf(given: Partial<DecodeLimits> | undefined, owner: string): DecodeLimits {
  if (given === undefined) return DEFAULT_DECODE_LIMITS;
  if (typeof given !== 'object' || given === null) throw new TypeError(`${owner}: options.decodeLimits must be an object`);
  for (const name of Object.keys(given)) {
    if (!(NAMES as string[]).includes(name)) throw new TypeError(`${owner}: options.decodeLimits.${name} is not a limit (${NAMES.join(', ')})`);
  }
  const limits = { ...DEFAULT_DECODE_LIMITS };
  for (const name of NAMES) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`${owner}: options.decodeLimits.${name} must be a positive integer, got ${String(value)}`);
    }
    limits[name] = value;
  }
  return Object.freeze(limits);
}
