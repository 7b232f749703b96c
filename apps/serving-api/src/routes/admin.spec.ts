import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createFakes, type Fakes, NOW, testApp } from '../testing/fake-ports';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const adminRoutes = [
  { method: 'POST' as const, url: '/v1/batch/runs', payload: {} },
  { method: 'GET' as const, url: '/v1/batch/runs/run-0' },
  { method: 'GET' as const, url: '/v1/batch/runs' },
  { method: 'POST' as const, url: '/v1/events', payload: { id: 'x', type: 't', ts: 0 } },
];

describe('admin authentication', () => {
  it.each(adminRoutes)('$method $url answers 503 TRB_ADMIN_DISABLED while ADMIN_TOKEN is unset', async (route) => {
    const { app } = await testApp({ adminToken: undefined });
    const res = await app.inject({ ...route, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ statusCode: 503, code: 'TRB_ADMIN_DISABLED', error: 'Service Unavailable' });
    expect(res.json().message).toMatch(/set ADMIN_TOKEN/);
    await app.close();
  });

  it.each(adminRoutes)('$method $url answers 401 for a missing, wrong or malformed token', async (route) => {
    const { app, fakes } = await testApp();
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: ADMIN_TOKEN }, { authorization: `Basic ${ADMIN_TOKEN}` }, { authorization: `Bearer ${ADMIN_TOKEN}x` }]) {
      const res = await app.inject({ ...route, headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json()).toMatchObject({ statusCode: 401, code: 'TRB_ADMIN_UNAUTHORIZED', error: 'Unauthorized' });
    }
    expect(fakes.sent).toEqual([]);
    expect(fakes.runs.requests).toEqual([]);
    await app.close();
  });

  it('checks the token before the body: no 400 or 413 leaks to an unauthenticated caller', async () => {
    const { app } = await testApp();
    const bad = await app.inject({ method: 'POST', url: '/v1/batch/runs', payload: { nope: 1 } });
    expect(bad.statusCode).toBe(401);
    const big = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(2_000_000) });
    expect(big.statusCode).toBe(401);
    await app.close();
  });
});

describe('batch runs', () => {
  let app: FastifyInstance;
  let fakes: Fakes;
  beforeEach(async () => {
    ({ app, fakes } = await testApp());
  });
  afterEach(() => app.close());

  it('POST {} queues a run of every view; a second request while queued returns the same run', async () => {
    const first = await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ id: 'run-0', status: 'queued' });
    const second = await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: { views: ['page_views', 'page_views'] } });
    expect(second.json()).toEqual({ id: 'run-0', status: 'queued' });
    expect(fakes.runs.requests).toEqual([undefined, ['page_views']]);
    const bare = await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth });
    expect(bare.statusCode, bare.body).toBe(202);
    expect(fakes.runs.requests[2]).toBeUndefined();
  });

  it.each([
    [{ views: ['nope'] }, /views: "nope" not defined; known views: payments_by_country/],
    [{ views: [] }, /views must NOT have fewer than 1 items/],
    [{ views: [7] }, /views: "7" not defined/],
    [{ view: ['page_views'] }, /unknown property "view"/],
    [[], /body must be object/],
  ])('POST %j → 400 saying what to fix', async (payload, message) => {
    const res = await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('TRB_REQUEST_INVALID');
    expect(res.json().message).toMatch(message);
  });

  it('GET /v1/batch/runs/:id answers the run in the contract shape, 404 when unknown', async () => {
    await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    const res = await app.inject({ url: '/v1/batch/runs/run-0', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: 'run-0',
      status: 'queued',
      progress: 0,
      createdAt: '1970-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      error: null,
      stats: { rowsRead: 0, filesRead: 0, rejected: 0, durationMs: 0 },
      version: null,
    });
    const missing = await app.inject({ url: '/v1/batch/runs/run-9', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'TRB_BATCH_RUN_NOT_FOUND', error: 'Not Found' });
  });

  it('GET /v1/batch/runs lists newest first, limit 20 by default, 1..1000', async () => {
    await app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    const first = fakes.runs.runs[0];
    for (let i = 0; i < 25 && first; i++) fakes.runs.runs.push({ ...first, id: `old-${i}`, status: 'succeeded' });
    const res = await app.inject({ url: '/v1/batch/runs', headers: auth });
    expect(res.json().runs).toHaveLength(20);
    expect(res.json().runs[0].id).toBe('run-0');
    expect((await app.inject({ url: '/v1/batch/runs?limit=3', headers: auth })).json().runs).toHaveLength(3);
    for (const bad of ['0', '1001', 'x', '2.5']) {
      const r = await app.inject({ url: `/v1/batch/runs?limit=${bad}`, headers: auth });
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().message).toMatch(/limit/);
    }
  });

  it('answers 503 TRB_BATCH_UNAVAILABLE when no queue is connected', async () => {
    const { app: bare } = await testApp({ withoutRuns: true });
    const res = await bare.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'TRB_BATCH_UNAVAILABLE', message: expect.stringMatching(/recompute queue/) });
    await bare.close();
  });
});

describe('POST /v1/events', () => {
  let app: FastifyInstance;
  let fakes: Fakes;
  beforeEach(async () => {
    fakes = createFakes();
    ({ app } = await testApp({ fakes }));
  });
  afterEach(() => app.close());

  const post = (payload: string | object, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { ...auth, 'content-type': contentType }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  const ok = (id: string) => ({ id, type: 'payment', ts: NOW - 1000, amount: 5, country: 'DE' });

  it('accepts one event object and writes it to Kafka keyed by id', async () => {
    const res = await post(ok('a'));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, rejected: [] });
    expect(fakes.sent).toEqual([{ key: 'a', value: JSON.stringify(ok('a')) }]);
  });

  it('accepts an array, listing the rejected items by index with the reason', async () => {
    const future = { id: 'f', type: 'payment', ts: NOW + 86_400_001 };
    const res = await post([ok('a'), { id: 'b', type: 'payment', ts: NOW, amount: 'ten' }, 'nope', ok('c'), future, { type: 'x', ts: 1 }]);
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 4, 5]);
    expect(body.rejected[0].reason).toMatch(/amount/);
    expect(body.rejected[3].reason).toMatch(/id/);
    expect(fakes.sent.map((m) => m.key)).toEqual(['a', 'c']);
  });

  it('accepts NDJSON: index = line, blank lines skipped, a bad line rejected', async () => {
    const text = `${JSON.stringify(ok('a'))}\r\n{not json}\n\n${JSON.stringify(ok('b'))}\n`;
    const res = await post(text, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json().accepted).toBe(2);
    expect(res.json().rejected).toEqual([{ index: 1, reason: expect.stringMatching(/line 1: malformed JSON/) }]);
    expect(fakes.sent.map((m) => m.value)).toEqual([JSON.stringify(ok('a')), JSON.stringify(ok('b'))]);
  });

  it('accepts an empty array (nothing to write)', async () => {
    expect((await post([])).json()).toEqual({ accepted: 0, rejected: [] });
  });

  it.each([
    ['{"id": ', 'application/json', 400, 'TRB_BODY_INVALID', /not valid JSON/],
    ['', 'application/json', 400, 'TRB_BODY_INVALID', /empty/],
    ['42', 'application/json', 400, 'TRB_BODY_INVALID', /one event object, a JSON array/],
    ['null', 'application/json', 400, 'TRB_BODY_INVALID', /one event object/],
    ['\n\n', 'application/x-ndjson', 400, 'TRB_BODY_INVALID', /holds no event/],
    ['id=1', 'text/plain', 415, 'TRB_MEDIA_TYPE_UNSUPPORTED', /application\/json/],
  ])('%j (%s) → %i %s', async (payload, type, status, code, message) => {
    const res = await post(payload, type);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ statusCode: status, code });
    expect(res.json().message).toMatch(message);
    expect(fakes.sent).toEqual([]);
  });

  it('refuses a body over 1 MiB with 413 (JSON and NDJSON)', async () => {
    const big = JSON.stringify([{ ...ok('a'), pad: 'x'.repeat(1_048_576) }]);
    for (const type of ['application/json', 'application/x-ndjson']) {
      const res = await post(big, type);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'TRB_BODY_TOO_LARGE', error: 'Payload Too Large' });
    }
    const justUnder = JSON.stringify({ ...ok('a'), pad: 'x'.repeat(1_048_576 - 200) });
    expect((await post(justUnder)).statusCode).toBe(202);
  });

  it('answers 500 without internals when Kafka refuses, and accepts nothing', async () => {
    fakes.failSend = true;
    const res = await post(ok('a'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/10\.0\.0\.7|broker/);
    expect(res.json()).toMatchObject({ code: 'TRB_INTERNAL', message: 'Internal Server Error' });
  });
});
