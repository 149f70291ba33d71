// Covers CORS on OTLP/HTTP: none by default; with allowed origins, preflight
// answered (methods, Authorization/Content-Type/Content-Encoding headers) and
// Access-Control-Allow-Origin only for those origins; '*' for any origin;
// invalid origin options refused when the plugin registers.
import t from 'tap';
import { INGEST_KEY } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/v1/traces',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
});
const post = (origin: string) => ({
  method: 'POST' as const,
  url: '/v1/traces',
  headers: { origin, authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
  payload: '{}',
});

t.test('no CORS unless origins are configured', async (t) => {
  const { app } = await buildHttpApp();
  t.teardown(() => app.close());
  const options = await app.inject(preflight('https://app.example'));
  t.equal(options.statusCode, 405);
  t.notOk(options.headers['access-control-allow-origin']);
  const response = await app.inject(post('https://app.example'));
  t.equal(response.statusCode, 200);
  t.notOk(response.headers['access-control-allow-origin']);
});

t.test('listed origins', async (t) => {
  const { app } = await buildHttpApp({ corsOrigins: ['https://app.example', 'http://localhost:3000'] });
  t.teardown(() => app.close());
  const options = await app.inject(preflight('https://app.example'));
  t.equal(options.statusCode, 204);
  t.equal(options.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(options.headers['access-control-allow-methods'], 'POST');
  t.equal(options.headers['access-control-allow-headers'], 'Authorization, Content-Type, Content-Encoding');
  t.match(options.headers.vary, /Origin/);

  const response = await app.inject(post('http://localhost:3000'));
  t.equal(response.statusCode, 200);
  t.equal(response.headers['access-control-allow-origin'], 'http://localhost:3000');
  t.equal(response.headers['access-control-expose-headers'], 'Retry-After');

  const error = await app.inject({ ...post('https://app.example'), headers: { origin: 'https://app.example', 'content-type': 'application/json' } });
  t.equal(error.statusCode, 401);
  t.equal(error.headers['access-control-allow-origin'], 'https://app.example', 'errors are readable by the page too');

  const stranger = await app.inject(post('https://evil.example'));
  t.notOk(stranger.headers['access-control-allow-origin']);
  const strangerPreflight = await app.inject(preflight('https://evil.example'));
  t.notOk(strangerPreflight.headers['access-control-allow-origin']);
});

t.test("'*' allows any origin", async (t) => {
  const { app } = await buildHttpApp({ corsOrigins: ['*'] });
  t.teardown(() => app.close());
  const options = await app.inject(preflight('https://anywhere.example'));
  t.equal(options.statusCode, 204);
  t.equal(options.headers['access-control-allow-origin'], '*');
  const response = await app.inject(post('https://anywhere.example'));
  t.equal(response.headers['access-control-allow-origin'], '*');
});

t.test('invalid options are refused at register time', async (t) => {
  await t.rejects(buildHttpApp({ corsOrigins: ['app.example'] }), { name: 'TypeError', message: /not an origin/ });
  await t.rejects(buildHttpApp({ corsOrigins: ['https://app.example/path'] }), { name: 'TypeError', message: /not an origin/ });
  await t.rejects(buildHttpApp({ maxRequestBytes: 0 }), { name: 'TypeError', message: /maxRequestBytes/ });
  await t.rejects(buildHttpApp({ maxRequestBytes: 1.5 }), { name: 'TypeError', message: /maxRequestBytes/ });
});
