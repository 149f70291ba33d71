// POST /api/v1/metrics/query and OTLP/JSON metric exports against a test server (not a test file itself).
import type { MetricQueryResult } from '../../src/query/metrics/metric-query.ts';

export async function postMetricQuery(apiUrl: string, key: string, body: object): Promise<{ status: number; body: MetricQueryResult & { error?: { code: string; message: string } } }> {
  const response = await fetch(`${apiUrl}/api/v1/metrics/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as MetricQueryResult };
}

export async function exportOtlpJsonMetrics(otlpHttpUrl: string, key: string, request: object): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${otlpHttpUrl}/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  return { status: response.status, body: await response.json() };
}
