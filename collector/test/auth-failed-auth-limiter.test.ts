// Covers FailedAuthLimiter on its own: the token bucket per client (burst,
// refill, retry delay), clients apart from each other, IPv6 counted per /64
// and IPv4-mapped addresses as IPv4, the bounded memory, and option checks.
import t from 'tap';
import { clientOf, FailedAuthLimiter } from '../src/auth/failed-auth-limiter.ts';

t.test('a client may fail `burst` times, then earns failures back at the rate', async (t) => {
  let now = 0;
  const limiter = new FailedAuthLimiter({ failuresPerSecond: 10, burst: 50, now: () => now });
  for (let i = 0; i < 50; i++) t.equal(limiter.recordFailure('192.0.2.1'), null, `failure ${i + 1}`);
  t.equal(limiter.recordFailure('192.0.2.1'), 1, 'the 51st is refused, retry after 1 s');
  t.equal(limiter.recordFailure('192.0.2.2'), null, 'another client is not');
  now += 99;
  t.equal(limiter.recordFailure('192.0.2.1'), 1, 'still refused before a tenth of a second');
  now += 1;
  t.equal(limiter.recordFailure('192.0.2.1'), null, 'one failure earned back after 100 ms');
  t.equal(limiter.recordFailure('192.0.2.1'), 1);
  now += 60_000;
  for (let i = 0; i < 50; i++) t.equal(limiter.recordFailure('192.0.2.1'), null);
  t.equal(limiter.recordFailure('192.0.2.1'), 1, 'refilled to the burst, never beyond');
});

t.test('the retry delay is the time until the next allowed failure, in whole seconds', async (t) => {
  let now = 0;
  const limiter = new FailedAuthLimiter({ failuresPerSecond: 0.25, burst: 1, now: () => now });
  t.equal(limiter.recordFailure('a'), null);
  t.equal(limiter.recordFailure('a'), 4);
  now += 2500;
  t.equal(limiter.recordFailure('a'), 2);
});

t.test('IPv6 clients count per /64; IPv4-mapped addresses as IPv4', async (t) => {
  t.equal(clientOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(clientOf('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  t.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(clientOf('::1'), '0:0:0:0::/64');
  t.equal(clientOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  t.equal(clientOf('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4::/64');
  t.equal(clientOf('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(clientOf('192.0.2.7'), '192.0.2.7');
  t.equal(clientOf('unknown'), 'unknown');

  const limiter = new FailedAuthLimiter({ burst: 1, now: () => 0 });
  t.equal(limiter.recordFailure('2001:db8:1:2::1'), null);
  t.equal(limiter.recordFailure('2001:db8:1:2::ffff'), 1, 'another address of the same /64 is the same client');
  t.equal(limiter.recordFailure('2001:db8:1:3::1'), null, 'the next /64 is not');
  t.equal(limiter.recordFailure('::ffff:192.0.2.7'), null);
  t.equal(limiter.recordFailure('192.0.2.7'), 1, 'mapped and plain IPv4 are one client');
});

t.test('memory is bounded: the client that failed least recently is forgotten first', async (t) => {
  const limiter = new FailedAuthLimiter({ burst: 1, maxClients: 100, now: () => 0 });
  t.equal(limiter.recordFailure('192.0.2.1'), null);
  for (let i = 0; i < 10_000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
  t.equal(limiter.size, 100);
  t.equal(limiter.recordFailure('192.0.2.1'), null, 'forgotten, so allowed again');
  t.equal(limiter.recordFailure('192.0.2.1'), 1);
  t.equal(limiter.recordFailure('10.0.39.15'), 1, 'a recent one is remembered');
});

t.test('options are checked', async (t) => {
  t.throws(() => new FailedAuthLimiter({ failuresPerSecond: 0 }), TypeError);
  t.throws(() => new FailedAuthLimiter({ burst: 0.5 }), TypeError);
  t.throws(() => new FailedAuthLimiter({ maxClients: 0 }), TypeError);
});
