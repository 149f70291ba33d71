// Covers hashTextExtended against the server's own hashtextextended(text, 0):
// every tail length of the 12-byte blocks, several blocks, multi-byte UTF-8,
// and two values pinned so that a change of the function is seen even
// without a database.
import { sql } from 'kysely';
import t from 'tap';
import { hashTextExtended } from '../src/db/text-hash.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { handle } = await createTestDatabase(t);

t.equal(hashTextExtended(''), '-6939563903564495251', 'the empty text, as PostgreSQL gives it');
t.equal(hashTextExtended('customer.id=cust-12345'), '4116987860593336757');

t.test('the same int8 as the server for every length and for multi-byte text', async (t) => {
  const texts = [
    ...Array.from({ length: 40 }, (_, n) => 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH'.slice(0, n)),
    'héllo', 'wörld ∑', '😀', 'status=\u00ff\u0100', 'url.path=/api/12345/7?q=ü'.repeat(30),
    'high bytes: \u07ff\u0800\uffff',
  ];
  const { rows } = await sql<{ text: string; hash: string }>`
    SELECT text, hashtextextended(text, 0)::text AS hash FROM unnest(${texts}::text[]) WITH ORDINALITY AS x(text, n) ORDER BY n`.execute(handle.db);
  t.equal(rows.length, texts.length);
  for (const row of rows) t.equal(hashTextExtended(row.text), row.hash, JSON.stringify(row.text.slice(0, 30)));
});
