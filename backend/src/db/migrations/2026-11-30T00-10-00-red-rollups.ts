import { sql, type Kysely } from 'kysely';

// RED rollups of spans (rate, errors, duration) per minute and per hour, so a
// service page over a day reads rollup rows, never spans. Both tables are
// range-partitioned by day on their time column, keyed by site_id first.

/**
 * floor(2^(k/16)) for k = 0 … 1007: the upper bounds of the latency sketch's
 * buckets (rollups/latency-sketch.ts). Written out here as well, so this
 * migration stays as it landed whatever that module becomes.
 */
function latencyBounds(): bigint[] {
  const top: bigint[] = [];
  for (let r = 0; r < 16; r++) {
    const power = 2n ** BigInt(62 * 16 + r);
    let root = 0n;
    for (let bit = 63n; bit >= 0n; bit--) {
      const candidate = root | (1n << bit);
      if (candidate ** 16n <= power) root = candidate;
    }
    top.push(root);
  }
  return Array.from({ length: 63 * 16 }, (_, k) => top[k % 16]! >> BigInt(62 - Math.floor(k / 16)));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, unit] of [['red_minutes', 'minute'], ['red_hours', 'hour']] as const) {
    await sql`
      CREATE TABLE ${sql.table(table)} (
        site_id bigint NOT NULL,
        -- The ${sql.raw(unit)} the spans started in.
        time timestamptz NOT NULL,
        service_name text NOT NULL,
        span_name text NOT NULL,
        span_kind smallint NOT NULL,
        -- Spans without a parent: a root span is a request whatever its kind.
        is_root boolean NOT NULL,
        span_count bigint NOT NULL,
        -- Spans with status ERROR (2).
        error_count bigint NOT NULL,
        -- numeric: a few absurd durations must not overflow a flush.
        duration_sum_ns numeric NOT NULL,
        -- The latency sketch: bucket indexes ascending and each one's count.
        latency_buckets integer[] NOT NULL,
        latency_counts bigint[] NOT NULL,
        PRIMARY KEY (site_id, time, service_name, span_name, span_kind, is_root)
      ) PARTITION BY RANGE (time)`.execute(db);
  }

  // The sketch's bucket of a duration, equal to bucketOf() in TypeScript for
  // every int64: a float estimate k of ceil(log2(d) * 16), corrected by one
  // against the exact integer bounds (float logs can be one bucket off at a
  // bound). One expression, so the planner inlines it (a call per span costs
  // 7 us; measured) and folds the bounds array once per query.
  await sql`
    CREATE FUNCTION red_latency_bounds() RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS ${sql.lit(`SELECT '{${latencyBounds().join(',')}}'::bigint[]`)}`.execute(db);
  const k = 'least(1008, greatest(0, ceil(ln(greatest(d, 1)::float8) / ln(2::float8) * 16)::integer))';
  await sql`
    CREATE FUNCTION red_latency_bucket(d bigint) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS ${sql.lit(`SELECT CASE WHEN d <= 0 THEN -1 ELSE ${k}
        - CASE WHEN ${k} > 0 AND d <= (red_latency_bounds())[${k}] THEN 1 ELSE 0 END
        + CASE WHEN ${k} < 1008 AND d > (red_latency_bounds())[${k} + 1] THEN 1 ELSE 0 END END`)}`.execute(db);

  // Two sketches added bucket by bucket, for ON CONFLICT DO UPDATE. A walk of
  // the two sorted lists in PL/pgSQL: once a row has seen some traffic, a
  // flush's buckets are usually all in it already and are added in place,
  // 3-4x cheaper per row than unnest, GROUP BY and array_agg (measured).
  await sql`
    CREATE FUNCTION red_latency_merge(a_buckets integer[], a_counts bigint[], b_buckets integer[], b_counts bigint[],
                                      OUT buckets integer[], OUT counts bigint[])
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
      x integer := 1;
      y integer := 1;
      nx integer := coalesce(array_length(a_buckets, 1), 0);
      ny integer := coalesce(array_length(b_buckets, 1), 0);
    BEGIN
      buckets := a_buckets;
      counts := a_counts;
      WHILE y <= ny LOOP
        WHILE x <= nx AND a_buckets[x] < b_buckets[y] LOOP x := x + 1; END LOOP;
        EXIT WHEN x > nx OR a_buckets[x] <> b_buckets[y];
        counts[x] := counts[x] + b_counts[y];
        y := y + 1;
      END LOOP;
      IF y > ny THEN RETURN; END IF;
      -- A bucket new to the row: merge the two lists.
      buckets := '{}';
      counts := '{}';
      x := 1;
      y := 1;
      WHILE x <= nx OR y <= ny LOOP
        IF y > ny OR (x <= nx AND a_buckets[x] < b_buckets[y]) THEN
          buckets := buckets || a_buckets[x]; counts := counts || a_counts[x]; x := x + 1;
        ELSIF x > nx OR b_buckets[y] < a_buckets[x] THEN
          buckets := buckets || b_buckets[y]; counts := counts || b_counts[y]; y := y + 1;
        ELSE
          buckets := buckets || a_buckets[x]; counts := counts || (a_counts[x] + b_counts[y]); x := x + 1; y := y + 1;
        END IF;
      END LOOP;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION red_latency_merge(integer[], bigint[], integer[], bigint[])`.execute(db);
  await sql`DROP FUNCTION red_latency_bucket(bigint)`.execute(db);
  await sql`DROP FUNCTION red_latency_bounds()`.execute(db);
  await db.schema.dropTable('red_hours').execute();
  await db.schema.dropTable('red_minutes').execute();
}
