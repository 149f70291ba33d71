// Covers the visitor IDs: the browser hash is stable within a salt, changes
// with the salt (daily rotation) and with each input, matches a hash computed
// here by hand from its documented input; the server hash of user and
// anonymous IDs.
import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { browserVisitorId, serverVisitorId } from '../src/enrich/visitor-id.ts';

const salt = Buffer.alloc(32, 1);
const nextSalt = Buffer.alloc(32, 2);
const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

t.test('browser visitor ID', async (t) => {
  const id = browserVisitorId(salt, '42', '203.0.113.7', ua, { w: 1920, h: 1080 });
  const expected = createHmac('sha256', salt).update(`42\n203.0.113.7\n${ua}\n1920x1080`).digest().readBigInt64BE(0);
  t.equal(id, expected, 'HMAC-SHA256 over "site\\nip\\nua\\nWxH", first 8 bytes signed big-endian');
  t.equal(browserVisitorId(salt, '42', '203.0.113.7', ua, { w: 1920, h: 1080 }), id, 'stable within a salt');
  t.not(browserVisitorId(nextSalt, '42', '203.0.113.7', ua, { w: 1920, h: 1080 }), id, 'a new salt is a new visitor');
  t.not(browserVisitorId(salt, '43', '203.0.113.7', ua, { w: 1920, h: 1080 }), id, 'per site');
  t.not(browserVisitorId(salt, '42', '203.0.113.8', ua, { w: 1920, h: 1080 }), id, 'per IP');
  t.not(browserVisitorId(salt, '42', '203.0.113.7', `${ua} x`, { w: 1920, h: 1080 }), id, 'per user agent');
  t.not(browserVisitorId(salt, '42', '203.0.113.7', ua, { w: 1080, h: 1920 }), id, 'per screen');
  const noScreen = browserVisitorId(salt, '42', '203.0.113.7', ua, null);
  t.equal(noScreen, createHmac('sha256', salt).update(`42\n203.0.113.7\n${ua}\n`).digest().readBigInt64BE(0), 'no screen is ""');
  t.ok(id >= -(2n ** 63n) && id < 2n ** 63n, 'fits a PostgreSQL bigint');
});

t.test('the sign bit makes negative IDs', async (t) => {
  let negatives = 0;
  for (let n = 0; n < 64; n++) if (browserVisitorId(salt, '1', `198.51.100.${n}`, ua, null) < 0n) negatives++;
  t.ok(negatives > 0 && negatives < 64, 'both signs occur');
});

t.test('server visitor ID', async (t) => {
  const user = serverVisitorId('42', { userId: 'u-1' });
  t.equal(user, createHash('sha256').update('42\nuser:u-1').digest().readBigInt64BE(0));
  t.equal(serverVisitorId('42', { anonymousId: 'u-1' }), createHash('sha256').update('42\nanon:u-1').digest().readBigInt64BE(0));
  t.not(serverVisitorId('42', { anonymousId: 'u-1' }), user, 'an anonymous ID never collides with the same user ID');
  t.not(serverVisitorId('43', { userId: 'u-1' }), user, 'per site');
});
