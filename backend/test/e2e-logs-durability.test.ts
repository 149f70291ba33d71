// Durability of logs: `justanalytics serve` stopped with SIGTERM in the middle
// of a load of OTLP/JSON log records from 8 clients exits cleanly and loses no
// record it acknowledged with a 200. Records have no ID of their own, so each
// carries a unique body, looked up in the logs table afterwards.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createIngestKey, startServe } from './helpers/serve-process.ts';
import { createTestDatabase, queryOnce } from './helpers/test-database.ts';

/** An OTLP/JSON logs request of `count` records, each with a body no other record has. */
function otlpJsonLogs(count: number): { body: string; ids: string[] } {
  const ids: string[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  const logRecords = Array.from({ length: count }, (_, i) => {
    const id = randomBytes(12).toString('hex');
    ids.push(id);
    return {
      timeUnixNano: String(now + BigInt(i)),
      observedTimeUnixNano: String(now + BigInt(i)),
      severityNumber: 9,
      severityText: 'INFO',
      body: { stringValue: id },
      attributes: [
        { key: 'http.route', value: { stringValue: '/checkout' } },
        { key: 'attempt', value: { intValue: String(i) } },
      ],
    };
  });
  const request = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'durability' } }] },
        scopeLogs: [{ scope: { name: 'load', version: '1' }, logRecords }],
      },
    ],
  };
  return { body: JSON.stringify(request), ids };
}

t.test('SIGTERM mid-load loses no acknowledged log record', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const { siteId, key } = await createIngestKey(handle.db, 'logs-durability');
  const serve = await startServe(t, { DATABASE_URL: url });

  const acknowledged: string[] = [];
  let stopped = false;
  const deadline = Date.now() + 30_000;
  const client = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      const { body, ids } = otlpJsonLogs(50);
      try {
        const response = await fetch(`${serve.otlpHttpUrl}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        });
        if (response.status === 200) acknowledged.push(...ids);
        await response.arrayBuffer();
      } catch {
        return; // the server has closed its port: this client is done
      }
    }
  };
  const clients = Array.from({ length: 8 }, () => client());

  // Let the load build up, then stop the server under it.
  while (acknowledged.length < 2_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  serve.child.kill('SIGTERM');
  const [code, signal] = await serve.exited;
  stopped = true;
  await Promise.all(clients);
  t.equal(signal, null, 'exited by itself, not by a signal');
  t.equal(code, 0, `exit code 0\n${code === 0 ? '' : serve.recentLogs().join('\n')}`);
  t.ok(acknowledged.length >= 2_000, `load was acknowledged (${acknowledged.length} records)`);

  const rows = await queryOnce<{ id: string }>(url, `SELECT body->>'stringValue' AS id FROM logs WHERE site_id = $1`, [siteId]);
  const stored = new Set(rows.map((row) => row.id));
  const lost = acknowledged.filter((id) => !stored.has(id));
  t.equal(lost.length, 0, `all ${acknowledged.length} acknowledged records are stored`);
});
