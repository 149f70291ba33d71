import { spanCopyChunks } from '../backend/src/store/span-copy.ts';
import { summariseSpans, upsertTraceSummariesQuery } from '../backend/src/store/trace-summaries.ts';
import { admitSpans } from '../backend/src/store/span-admission.ts';
import { makeSpanRow } from '../backend/test/helpers/span-rows.ts';
const rows = Array.from({ length: 10000 }, () => makeSpanRow({ attributes: Array.from({ length: 10 }, (_, i) => ({ key: 'http.attr.' + i, value: { stringValue: 'value number ' + i } })) }));
for (let r = 0; r < 5; r++) {
  let t0 = performance.now();
  const adm = admitSpans(rows, { firstDay: 0, lastDay: 1e9 });
  let t1 = performance.now();
  let n = 0; for (const c of spanCopyChunks([{ siteId: '1', spans: adm.accepted }])) n += c.length;
  let t2 = performance.now();
  const q = upsertTraceSummariesQuery(summariseSpans([{ siteId: '1', spans: adm.accepted }]));
  let t3 = performance.now();
  console.log('admit', (t1 - t0).toFixed(1), 'copy text', (t2 - t1).toFixed(1), 'ms', n, 'chars; summary', (t3 - t2).toFixed(1), q.values.length);
}
