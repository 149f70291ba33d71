// Named regression cases found by fuzzing the query API's parameter parsing
// (backend/test/helpers/query-param-properties.ts): an ISO date that names no
// calendar day must be refused, not rolled over into the next month, and an
// attr.__proto__ parameter must become a filter like any other attr.* one
// instead of vanishing (which widened the search to every trace).
import t from 'tap';
import { attributeFilters, parseTime } from '../src/api/query-params.ts';

t.test('parseTime refuses calendar days that do not exist (found: "0001-02-29" parsed as 0001-03-01)', async (t) => {
  for (const text of ['0001-02-29', '2026-02-30', '2026-02-29T10:00:00Z', '2026-04-31', '2026-06-31T00:00']) {
    t.equal(parseTime(text)?.toISOString() ?? null, null, text);
  }
  t.equal(parseTime('2028-02-29')?.toISOString(), '2028-02-29T00:00:00.000Z', 'a leap day is a day');
});

t.test('attr.__proto__ becomes the filter "__proto__" (found: [["attr.__proto__",""]] gave no filter)', async (t) => {
  const query: Record<string, unknown> = {};
  Object.defineProperty(query, 'attr.__proto__', { value: 'x', enumerable: true });
  t.same(Object.entries(attributeFilters(query)), [['__proto__', 'x']]);
});
