import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createFakes, NOW, testApp } from './testing/fake-ports';

/** Malformed requests of every kind: the API answers 2xx or 4xx, never a 5xx. */
describe('fuzz: no 5xx for bad input', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const fakes = createFakes();
    fakes.speed.add(1, [{ id: 'a', type: 'payment', ts: NOW - 60_000, attrs: { country: 'DE', method: 'card', amount: 3, user_id: 'u' } }]);
    ({ app } = await testApp({ fakes }));
  });
  afterAll(() => app.close());

  const param = fc.constantFrom('from', 'to', 'granularity', 'groupBy', 'filter', 'limit', 'x', '', 'from[]', 'filter[a]', '__proto__', 'constructor');
  const value = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom('minute', 'hour', 'day', 'all', 'week', 'country', 'country:DE', 'country:', ':', 'method,country', ',,', '0', '-1', '1e400', 'NaN'),
    fc.integer().map(String),
    fc.double().map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.bigInt().map(String),
  );
  const query = fc.array(fc.tuple(param, value), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
  const viewName = fc.oneof(fc.constantFrom('payments_by_country', 'page_views', 'signups_daily', 'activity_hourly'), fc.string({ maxLength: 20 }).map(encodeURIComponent));

  it('query parameters (≥ 1,000 requests)', async () => {
    await fc.assert(
      fc.asyncProperty(viewName, query, async (name, qs) => {
        const res = await app.inject(`/v1/views/${name}/query?${qs}`);
        expect(res.statusCode, `${name}?${qs}: ${res.body}`).toBeLessThan(500);
        if (res.statusCode >= 400) expect(res.json()).toMatchObject({ statusCode: res.statusCode, code: expect.stringMatching(/^TRB_/), message: expect.any(String) });
      }),
      { numRuns: 1_000 },
    );
  }, 120_000);

  const json = fc.jsonValue({ maxDepth: 3 });
  const eventish = fc.record(
    { id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), type: fc.oneof(fc.string(), fc.constant('payment')), ts: fc.oneof(fc.integer(), fc.string(), fc.double(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), amount: json, country: json },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    json.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc.array(eventish, { maxLength: 5 }).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    eventish.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc.string({ maxLength: 200 }).map((s) => ({ type: 'application/json', payload: s })),
    fc.array(fc.oneof(fc.string({ maxLength: 50 }), eventish.map((e) => JSON.stringify(e))), { maxLength: 5 }).map((lines) => ({ type: 'application/x-ndjson', payload: lines.join('\n') })),
    fc.tuple(fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=latin1'), fc.string({ maxLength: 50 })).map(([type, payload]) => ({ type, payload })),
  );

  it('POST bodies to /v1/events and /v1/batch/runs (≥ 1,000 requests)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/events', '/v1/batch/runs'), body, fc.boolean(), async (url, { type, payload }, authorized) => {
        const headers = { 'content-type': type, ...(authorized ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}) };
        const res = await app.inject({ method: 'POST', url, headers, payload });
        expect(res.statusCode, `${url} ${type} ${payload.slice(0, 200)}: ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 1_200 },
    );
  }, 120_000);

  it('batch-run ids and limits (≥ 1,000 requests)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), value, async (id, limit) => {
        const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const one = await app.inject({ url: `/v1/batch/runs/${encodeURIComponent(id)}`, headers });
        expect(one.statusCode, `${id}: ${one.body}`).toBeLessThan(500);
        const list = await app.inject({ url: `/v1/batch/runs?limit=${encodeURIComponent(limit)}`, headers });
        expect(list.statusCode, `${limit}: ${list.body}`).toBeLessThan(500);
      }),
      { numRuns: 1_000 },
    );
  }, 120_000);
});
