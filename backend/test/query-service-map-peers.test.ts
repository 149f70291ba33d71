// Covers peerOf, the naming of virtual service-map nodes: the precedence of
// database, messaging, peer.service and host attributes (new and old semantic
// convention names), caches told apart from databases, URL hosts, lowercased
// hosts, and spans that name nothing. The SQL built from the same rules is
// covered by query-service-map-edges.test.ts.
import t from 'tap';
import type { KeyValueJson } from '@justanalytics/collector/model';
import { peerOf, URL_HOST_PATTERN } from '../src/query/traces/service-map-peers.ts';

const attrs = (values: Record<string, string | number>): KeyValueJson[] =>
  Object.entries(values).map(([key, value]) => ({ key, value: typeof value === 'string' ? { stringValue: value } : { intValue: String(value) } }));

t.test('databases and caches, by db.system.name or the older db.system', async (t) => {
  t.strictSame(peerOf(attrs({ 'db.system.name': 'postgresql', 'server.address': 'db.internal' })), { name: 'postgresql', type: 'database' });
  t.strictSame(peerOf(attrs({ 'db.system': 'mysql', 'peer.service': 'orders-db' })), { name: 'mysql', type: 'database' });
  t.strictSame(peerOf(attrs({ 'db.system.name': 'mongodb', 'db.system': 'mysql' })), { name: 'mongodb', type: 'database' }, 'the new name wins');
  t.strictSame(peerOf(attrs({ 'db.system': 'redis' })), { name: 'redis', type: 'cache' });
  t.strictSame(peerOf(attrs({ 'db.system.name': 'memcached' })), { name: 'memcached', type: 'cache' });
});

t.test('queues by messaging.system', async (t) => {
  t.strictSame(peerOf(attrs({ 'messaging.system': 'kafka', 'messaging.destination.name': 'orders', 'server.address': 'broker' })), {
    name: 'kafka',
    type: 'queue',
  });
});

t.test('external peers: peer.service, then server.address, net.peer.name, http.host, then the URL host', async (t) => {
  t.strictSame(peerOf(attrs({ 'peer.service': 'Billing', 'server.address': 'billing.internal' })), { name: 'Billing', type: 'external' }, 'kept as given');
  t.strictSame(peerOf(attrs({ 'server.address': 'API.Example.com', 'url.full': 'https://other.example/' })), { name: 'api.example.com', type: 'external' });
  t.strictSame(peerOf(attrs({ 'net.peer.name': 'old.example', 'http.host': 'host.example' })), { name: 'old.example', type: 'external' });
  t.strictSame(peerOf(attrs({ 'http.host': 'host.example' })), { name: 'host.example', type: 'external' });
  t.strictSame(peerOf(attrs({ 'url.full': 'https://user:pw@API.stripe.com:443/v1/charges?x=1#f' })), { name: 'api.stripe.com', type: 'external' });
  t.strictSame(peerOf(attrs({ 'http.url': 'http://[::1]:8080/x' })), { name: '[::1]', type: 'external' });
});

t.test('nothing named: null; empty and non-string values are absent', async (t) => {
  t.equal(peerOf([]), null);
  t.equal(peerOf(attrs({ 'http.request.method': 'GET' })), null);
  t.equal(peerOf(attrs({ 'db.system.name': '', 'server.port': 5432 })), null);
  t.equal(peerOf(attrs({ 'url.full': '/relative/path' })), null, 'a relative URL has no host');
  t.strictSame(peerOf(attrs({ 'url.full': 'mailto:x', 'http.url': 'https://fallback.example/' })), { name: 'fallback.example', type: 'external' });
});

t.test('the URL host pattern is one PostgreSQL reads the same way', async (t) => {
  t.notMatch(URL_HOST_PATTERN, /\[\^\]/, 'no "[^]" class, which JavaScript and PostgreSQL read differently');
});
