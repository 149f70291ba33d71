// Covers the edge rollup (jobs/service-edges.ts) and how the service map
// reads it: a run stores the three-service trace set's edges per minute; the
// map over rolled-up minutes has the same edges, counts and errors as the live
// join (quantiles from the sketch); reruns, concurrent runs and stored
// duplicates replace rows rather than add to them; a range that reaches past
// the rollup joins the rest live; the rollup keeps sites apart; and
// rollupPart picks only whole covered minutes.
import t from 'tap';
import { runServiceEdgeRollup } from '../src/jobs/service-edges.ts';
import { rollupPart, serviceMapEdges } from '../src/query/traces/service-map-edges.ts';
import { liveEdges } from '../src/query/traces/service-map-live.ts';
import { rollupCoverage } from '../src/query/traces/service-map-rollup.ts';
import { nanos } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';
import { expectedEdges, threeServiceSpans } from './helpers/service-map-fixtures.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

const minuteMs = 60_000;
const baseMs = Math.floor((Date.now() - 60 * minuteMs) / minuteMs) * minuteMs;
const base = nanos(new Date(baseMs));
const range = { start: new Date(baseMs - 5 * minuteMs), end: new Date(baseMs + 5 * minuteMs) };
// A clock 20 minutes after the spans, so the run recomputes [base - 11 min, base + 19 min).
const run = () => runServiceEdgeRollup({ db, now: () => baseMs + 20 * minuteMs, recomputeMinutes: 30 });

const spans = threeServiceSpans(siteA, base);
await write(siteA, spans);

async function storedRows() {
  return db.selectFrom('service_edge_minutes').selectAll().orderBy('site_id').orderBy('time').orderBy('source').orderBy('target').orderBy('connection').execute();
}

/** Keys, counts and errors of edges, without quantiles. */
const counts = (edges: Array<{ source: string; target: string; targetType: string; connectionType: string; callCount: number; errorCount: number }>) =>
  edges.map(({ source, target, targetType, connectionType, callCount, errorCount }) => ({ source, target, targetType, connectionType, callCount, errorCount }));

t.test('a run stores each edge per minute, and the map read from it matches the live join', async (t) => {
  const result = await run();
  t.match(result, { ran: true, from: new Date(baseMs - 11 * minuteMs), until: new Date(baseMs + 19 * minuteMs) });
  t.strictSame(await rollupCoverage(db), { start: new Date(baseMs - 11 * minuteMs), end: new Date(baseMs + 19 * minuteMs) });
  const rows = await storedRows();
  t.equal(rows.length, expectedEdges.length, 'one row per edge: the trace set lies in one minute');
  t.ok(rows.every((row) => row.time.getTime() === baseMs && row.site_id === siteA));

  const fromRollup = await serviceMapEdges(db, siteA, range);
  t.strictSame(counts(fromRollup), counts(expectedEdges), 'the same edges, counts and errors');
  t.strictSame(counts(await liveEdges(db, siteA, range)), counts(expectedEdges), 'as the live join');
  for (const edge of fromRollup) {
    const expected = expectedEdges.find((e) => e.source === edge.source && e.target === edge.target)!;
    t.ok(Math.abs(edge.p50 - expected.p50) <= expected.p50 * 0.03, `${edge.source}->${edge.target} p50 ${edge.p50} within the sketch's error of ${expected.p50}`);
  }
});

t.test('reruns, concurrent runs and stored duplicates replace rows, never add to them', async (t) => {
  const before = await storedRows();
  await run();
  t.strictSame(await storedRows(), before, 'a rerun');
  const results = await Promise.all([run(), run(), run()]);
  t.ok(results.some((result) => result.ran), 'some run did the work');
  t.strictSame(await storedRows(), before, 'concurrent runs');
  await write(siteA, spans); // an exporter's retry stores every span again
  await run();
  t.strictSame(await storedRows(), before, 'duplicates are counted once');
});

t.test('a range past the rollup joins the rest live', async (t) => {
  // A second trace set after the covered minutes, 25 minutes after the first.
  const laterMs = baseMs + 25 * minuteMs;
  await write(siteA, threeServiceSpans(siteA, nanos(new Date(laterMs))));
  const wide = { start: range.start, end: new Date(laterMs + 5 * minuteMs) };
  t.same(rollupPart(wide, (await rollupCoverage(db))!), { start: range.start, end: new Date(baseMs + 19 * minuteMs) });
  const doubled = counts(expectedEdges).map((edge) => ({ ...edge, callCount: 2 * edge.callCount, errorCount: 2 * edge.errorCount }));
  t.strictSame(counts(await serviceMapEdges(db, siteA, wide)), doubled, 'rollup minutes plus the live rest');
  t.strictSame(counts(await liveEdges(db, siteA, wide)), doubled, 'as the live join of the whole range');
});

t.test('a site sees only its own rolled-up edges', async (t) => {
  t.strictSame(await serviceMapEdges(db, siteB, range), []);
});

t.test('rollupPart: the whole minutes of a range that the rollup covers', async (t) => {
  const at = (minute: number, extraMs = 0) => new Date(baseMs + minute * minuteMs + extraMs);
  const coverage = { start: at(0), end: at(10) };
  t.same(rollupPart({ start: at(2, 1), end: at(5, 30_000) }, coverage), { start: at(3), end: at(5) }, 'ragged ends are left to the live join');
  t.same(rollupPart({ start: at(-5), end: at(20) }, coverage), coverage, 'clipped to the coverage');
  t.equal(rollupPart({ start: at(2, 1), end: at(2, 50_000) }, coverage), null, 'no whole minute');
  t.equal(rollupPart({ start: at(11), end: at(12) }, coverage), null, 'after the coverage');
});

t.test('after a long pause the coverage starts again', async (t) => {
  const later = await runServiceEdgeRollup({ db, now: () => baseMs + 200 * minuteMs, recomputeMinutes: 30, maxCatchUpMinutes: 60 });
  t.match(later, { ran: true, from: new Date(baseMs + 169 * minuteMs), until: new Date(baseMs + 199 * minuteMs) });
  t.strictSame(await rollupCoverage(db), { start: new Date(baseMs + 169 * minuteMs), end: new Date(baseMs + 199 * minuteMs) });
  t.strictSame(counts(await serviceMapEdges(db, siteA, range)), counts(expectedEdges), 'the earlier minutes are read live again');
});
