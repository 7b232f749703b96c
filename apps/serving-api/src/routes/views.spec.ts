import { aggregateEvents, normalizeQuery, queryRows, type NormalizedEvent } from '@tributary/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakes, type Fakes, NOW, testApp, viewNamed, views } from '../testing/fake-ports';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 23, 10, 0, 0);

const pay = (id: string, ts: number, country: string | null, method: string, amount: number | null, user = 'u1'): NormalizedEvent => ({
  id,
  type: 'payment',
  ts,
  attrs: { country, method, amount, user_id: user },
});

const events: NormalizedEvent[] = [
  pay('a', T + 1_000, 'DE', 'card', 10, 'u1'),
  pay('b', T + 2_000, 'DE', 'sepa', 5.5, 'u2'),
  pay('c', T + MIN + 5, 'FR', 'card', null, 'u3'),
  pay('d', T + 2 * MIN, null, 'card', 7, 'u1'),
  pay('e', T + 30 * MIN, 'DE', 'card', 1.25, 'u4'),
  pay('f', T + 59 * MIN, '', 'card', 2, 'u5'),
];

describe('GET /v1/views', () => {
  it('lists the views with their definitions', async () => {
    const { app } = await testApp();
    const res = await app.inject('/v1/views');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.views.map((v: { name: string }) => v.name)).toEqual(views.map((v) => v.name));
    expect(body.views[0]).toEqual({
      name: 'payments_by_country',
      eventTypes: ['payment'],
      granularity: 'minute',
      dimensions: ['country', 'method'],
      metrics: [
        { name: 'payments', kind: 'count' },
        { name: 'revenue', kind: 'sum', field: 'amount' },
        { name: 'smallest', kind: 'min', field: 'amount' },
        { name: 'largest', kind: 'max', field: 'amount' },
        { name: 'average', kind: 'avg', field: 'amount' },
        { name: 'buyers', kind: 'distinct', field: 'user_id' },
      ],
    });
    await app.close();
  });
});

describe('GET /v1/views/:name/query', () => {
  let app: FastifyInstance;
  let fakes: Fakes;
  const get = (qs: string, view = 'payments_by_country') => app.inject(`/v1/views/${view}/query${qs}`);
  const range = `?from=${new Date(T).toISOString()}&to=${T + 60 * MIN}`;
  const oracle = (qs: Record<string, string | string[]>) => {
    const view = viewNamed('payments_by_country');
    return queryRows(view, normalizeQuery(view, { from: String(T), to: String(T + 60 * MIN), ...qs }, NOW), aggregateEvents(view, events));
  };

  beforeEach(async () => {
    fakes = createFakes();
    // Version v1 covers generations <= 2 (events a..c); generations 1 and 2 are still in Redis (not dropped yet).
    fakes.batch.versions.set('v1', { events: events.slice(0, 3) });
    fakes.speed.add(1, events.slice(0, 2));
    fakes.speed.add(2, events.slice(2, 3));
    fakes.speed.add(3, events.slice(3, 5));
    fakes.speed.add(4, events.slice(5));
    fakes.speed.pointer = { version: 'v1', generation: 2, cut: { '0': '3' }, completedAt: '2026-11-23T10:20:00.000Z' };
    ({ app } = await testApp({ fakes }));
  });
  afterEach(() => app.close());

  it('answers batch ⊕ speed generations after the cut, equal to the oracle over all events, with freshness', async () => {
    const res = await get(range);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ view: 'payments_by_country', from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z', granularity: 'minute' });
    expect(body.rows).toEqual(oracle({}));
    expect(body.rows[0]).toEqual({
      bucket: '2026-11-23T10:00:00.000Z',
      dims: {},
      metrics: { payments: 2, revenue: 15.5, smallest: 5.5, largest: 10, average: 7.75, buyers: 2 },
    });
    expect(body.freshness).toEqual({ batchVersion: 'v1', batchCompletedAt: '2026-11-23T10:20:00.000Z', speedLagMessages: 3 });
  });

  it('answers from the speed layer alone before the first batch run (generation 0)', async () => {
    fakes.speed.pointer = undefined;
    const res = await get(range);
    expect(res.json().rows).toEqual(oracle({}));
    expect(res.json().freshness).toEqual({ batchVersion: null, batchCompletedAt: null, speedLagMessages: 3 });
  });

  it('treats a version without the view as an empty batch half', async () => {
    fakes.batch.versions.set('v1', { events: events.slice(0, 3), views: ['page_views'] });
    fakes.speed.generations.delete(1);
    fakes.speed.generations.delete(2);
    fakes.speed.pointer = { version: 'v1', generation: 0, cut: {}, completedAt: 'x' };
    fakes.speed.add(1, events.slice(0, 3));
    expect((await get(range)).json().rows).toEqual(oracle({}));
  });

  it('reads the new pair when the version it read was garbage-collected after a flip', async () => {
    // v2 covers generations <= 3; v1 is gone by the time its Parquet is read.
    fakes.batch.versions.set('v2', { events: events.slice(0, 5) });
    let reads = 0;
    fakes.speed.onPointerRead = () => {
      reads++;
      if (reads === 1) {
        fakes.batch.versions.delete('v1');
        fakes.speed.pointer = { version: 'v2', generation: 3, cut: {}, completedAt: 'y' };
      }
    };
    const res = await get(range);
    expect(res.json().rows).toEqual(oracle({}));
    expect(res.json().freshness.batchVersion).toBe('v2');
  });

  it('defaults: to = now ceiled, from = to − 1 hour floored, the view granularity', async () => {
    const body = (await get('')).json();
    expect(body.to).toBe('2026-11-23T10:31:00.000Z');
    expect(body.from).toBe('2026-11-23T09:30:00.000Z');
    expect(body.granularity).toBe('minute');
  });

  it('floors from and ceils to the view granularity; accepts epoch ms and ISO with offset', async () => {
    const body = (await get(`?from=${T + 30_500}&to=2026-11-23T11:59:59.999%2B01:00`)).json();
    expect(body.from).toBe('2026-11-23T10:00:00.000Z');
    expect(body.to).toBe('2026-11-23T11:00:00.000Z');
  });

  it('rolls up to a coarser granularity and to all (bucket = effective from)', async () => {
    const hour = (await get(`${range}&granularity=hour&groupBy=country`)).json();
    expect(hour.granularity).toBe('hour');
    expect(hour.rows).toEqual(oracle({ granularity: 'hour', groupBy: 'country' }));
    const all = (await get(`?from=${T + 60_000}&to=${T + 60 * MIN}&granularity=all`)).json();
    expect(all.rows).toHaveLength(1);
    expect(all.rows[0].bucket).toBe('2026-11-23T10:01:00.000Z');
    expect(all.rows[0].metrics.payments).toBe(4);
  });

  it('groupBy keeps only the asked dimensions, sorted by bucket then dims (null last)', async () => {
    const body = (await get(`${range}&granularity=all&groupBy=country`)).json();
    expect(body.rows.map((r: { dims: unknown }) => r.dims)).toEqual([{ country: '' }, { country: 'DE' }, { country: 'FR' }, { country: null }]);
    const both = (await get(`${range}&granularity=all&groupBy=method,country`)).json();
    expect(Object.keys(both.rows[0].dims)).toEqual(['country', 'method']);
  });

  it('filters: dim:value, the same dim repeated = any of the values, dim: = null', async () => {
    const one = (await get(`${range}&granularity=all&filter=country:DE`)).json();
    expect(one.rows[0].metrics.payments).toBe(3);
    const any = (await get(`${range}&granularity=all&filter=country:DE&filter=country:FR`)).json();
    expect(any.rows[0].metrics.payments).toBe(4);
    const nul = (await get(`${range}&granularity=all&filter=country:`)).json();
    expect(nul.rows[0].metrics.payments).toBe(1);
    const both = (await get(`${range}&granularity=all&filter=country:DE&filter=method:sepa`)).json();
    expect(both.rows[0].metrics).toMatchObject({ payments: 1, revenue: 5.5 });
    const none = (await get(`${range}&filter=country:XX`)).json();
    expect(none.rows).toEqual([]);
  });

  it('gives null for sum/min/max/avg without values and integers for count and distinct', async () => {
    const body = (await get(`${range}&filter=country:FR`)).json();
    expect(body.rows).toEqual([{ bucket: '2026-11-23T10:01:00.000Z', dims: {}, metrics: { payments: 1, revenue: null, smallest: null, largest: null, average: null, buyers: 1 } }]);
  });

  it.each([
    ['?from=yesterday', 'TRB_QUERY_INVALID_TIME', /from/],
    ['?to=2026-11-23T10:00:00', 'TRB_QUERY_INVALID_TIME', /to/],
    ['?from=', 'TRB_QUERY_INVALID_TIME', /from/],
    [`?from=${T + MIN}&to=${T}`, 'TRB_QUERY_INVALID_RANGE', /from .* must not be after to/],
    ['?granularity=week', 'TRB_QUERY_INVALID_GRANULARITY', /minute, hour, day or all/],
    ['?granularity=MINUTE', 'TRB_QUERY_INVALID_GRANULARITY', /minute, hour, day or all/],
    ['?groupBy=planet', 'TRB_QUERY_INVALID_GROUP_BY', /"planet" is not a dimension.*country, method/],
    ['?filter=country', 'TRB_QUERY_INVALID_FILTER', /dim:value/],
    ['?filter=planet:earth', 'TRB_QUERY_INVALID_FILTER', /"planet" is not a dimension/],
    [`?from=0&to=${T}`, 'TRB_QUERY_TOO_MANY_BUCKETS', /at most 100000/],
    ['?groupby=country', 'TRB_REQUEST_INVALID', /unknown parameter "groupby"/],
    ['?from=1&from=2', 'TRB_REQUEST_INVALID', /from/],
  ])('%s → 400 %s with a message saying what to fix', async (qs, code, message) => {
    const res = await get(qs);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 400, code, error: 'Bad Request' });
    expect(body.message).toMatch(message);
  });

  it('refuses a granularity finer than the view', async () => {
    const res = await get('?granularity=minute', 'signups_daily');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/finer than the view's "day": use day, all/);
  });

  it('accepts exactly 100 000 buckets', async () => {
    expect((await get(`?from=${T - 100_000 * MIN}&to=${T}`)).statusCode).toBe(200);
    expect((await get(`?from=${T - 100_001 * MIN}&to=${T}`)).statusCode).toBe(400);
  });

  it('answers 404 TRB_VIEW_NOT_FOUND for an unknown view, naming the known ones', async () => {
    const res = await get('', 'nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, code: 'TRB_VIEW_NOT_FOUND', error: 'Not Found' });
    expect(res.json().message).toMatch(/"nope" does not exist; known views: "payments_by_country"/);
  });

  it('answers 500 without internals when a store fails', async () => {
    fakes.speed.readStates = async () => {
      throw new Error('ECONNREFUSED 10.1.2.3:6379');
    };
    const res = await get(range);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, code: 'TRB_INTERNAL', error: 'Internal Server Error', message: 'Internal Server Error' });
  });
});
