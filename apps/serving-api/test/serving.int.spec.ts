import { isFinerThan, type NormalizedEvent, type QueryGranularity } from '@tributary/core';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createServingHarness, expectSameRows, oracle, uniqueById, views, wire, workload } from './serving-harness';

type Harness = Awaited<ReturnType<typeof createServingHarness>>;

/**
 * Real Kafka, Redis, DuckDB and speed-layer process: events go in through POST /v1/events, answers
 * come out of GET /v1/views/:name/query, and must equal core's aggregation over the valid events
 * counted once — before any batch version, across two version flips under concurrent queries (no gap,
 * no double count), and after the old version's files are deleted.
 */
describe('serving API against the real stack', () => {
  let h: Harness;
  const now = Date.now();
  const from = String(now - 4 * 3_600_000);
  const to = String(now + 60_000);
  const shapes: Array<Record<string, string | string[]>> = [
    { granularity: 'all' },
    { granularity: 'minute', groupBy: 'country' },
    { granularity: 'hour', groupBy: ['country', 'method'] },
    { granularity: 'all', groupBy: 'device', filter: ['page:/docs', 'page:/'] },
    { filter: 'country:' },
  ];

  beforeAll(async () => {
    h = await createServingHarness();
    h.startSpeedLayer();
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  async function post(events: readonly NormalizedEvent[], ndjson: boolean, extra: unknown[] = []) {
    const items = [...events.map(wire), ...extra];
    const res = ndjson
      ? await h.app.inject({ method: 'POST', url: '/v1/events', headers: { ...auth, 'content-type': 'application/x-ndjson' }, payload: items.map((i) => JSON.stringify(i)).join('\n') })
      : await h.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: items as object[] });
    expect(res.statusCode, res.body).toBe(202);
    return res.json() as { accepted: number; rejected: Array<{ index: number; reason: string }> };
  }

  async function checkAll(events: readonly NormalizedEvent[], where: string): Promise<void> {
    for (const view of views) {
      for (const shape of shapes) {
        if (typeof shape['granularity'] === 'string' && isFinerThan(shape['granularity'] as QueryGranularity, view.granularity)) continue;
        const params = Object.fromEntries(Object.entries({ from, to, ...shape }).filter(([k, v]) => (k !== 'groupBy' && k !== 'filter') || (Array.isArray(v) ? v : [v]).every((x) => view.dimensions.includes(x.split(':')[0] as string))));
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
        const res = await h.app.inject(`/v1/views/${view.name}/query?${qs}`);
        expect(res.statusCode, res.body).toBe(200);
        expectSameRows(res.json().rows, oracle(view, params, events, now), `${where} ${view.name}?${qs}`);
      }
    }
  }

  /**
   * Concurrent queries from before the flip until `stop` resolved and 20 answers came from the new
   * version `target`; every answer must equal the oracle.
   */
  function queryLoop(events: readonly NormalizedEvent[], stop: Promise<unknown>, target: string, workers = 4) {
    let done = false;
    void stop.finally(() => (done = true));
    const view = views[0] as (typeof views)[number];
    const params = { from, to, granularity: 'all', groupBy: 'country' };
    const want = oracle(view, params, events, now);
    const versions = new Set<string>();
    let count = 0;
    let onTarget = 0;
    const loops = Array.from({ length: workers }, async () => {
      while (!done || onTarget < 20) {
        const res = await h.app.inject(`/v1/views/${view.name}/query?${new URLSearchParams(params)}`);
        expect(res.statusCode, res.body).toBe(200);
        expectSameRows(res.json().rows, want, `during the flip (answer ${count})`);
        const version = String(res.json().freshness.batchVersion);
        versions.add(version);
        if (version === target) onTarget++;
        count++;
      }
    });
    return Promise.all(loops).then(() => ({ count, versions }));
  }

  const phase1 = workload(1_500, 1, now, 'p1');
  const phase2 = [...workload(1_000, 2, now, 'p2'), ...phase1.slice(0, 50)]; // phase 2 re-sends 50 ids: counted once
  const phase3 = workload(500, 3, now, 'p3');
  const phase4 = [...workload(300, 4, now, 'p4'), ...phase3.slice(0, 20)];
  const invalid = [{ id: 'bad-1', type: 'payment', ts: now, amount: 'ten' }, { type: 'payment', ts: now }, { id: 'bad-2', type: 'x', ts: now + 2 * 86_400_000 }];

  it('ingests over HTTP (JSON and NDJSON), rejecting invalid items by index; lag reaches 0', async () => {
    const first = await post(phase1.slice(0, 700), false, invalid);
    expect(first.accepted).toBe(700);
    expect(first.rejected.map((r) => r.index)).toEqual([700, 701, 702]);
    const second = await post(phase1.slice(700), true);
    expect(second).toEqual({ accepted: 800, rejected: [] });
    await h.caughtUp();
  });

  it('answers like the oracle before any batch run (speed layer only)', async () => {
    const res = await h.app.inject('/v1/views/page_views/query');
    expect(res.json().freshness).toEqual({ batchVersion: null, batchCompletedAt: null, speedLagMessages: 0 });
    await checkAll(phase1, 'speed only');
  });

  it('flips to a batch version under concurrent queries without a gap or a double count', async () => {
    let releaseCut!: () => void;
    const cutDone = new Promise<void>((resolve) => (releaseCut = resolve));
    // Phase 2 goes in after the cut (so into generation g+1) while queries run; then the version covering phase 1 is published.
    const publish = h.publishVersion('v1', uniqueById(phase1), {
      afterCut: async () => {
        await post(phase2, true);
        await h.caughtUp();
        releaseCut();
      },
    });
    await cutDone;
    const loop = queryLoop([...phase1, ...phase2], publish, 'v1');
    const cut = await publish;
    const { count, versions } = await loop;
    expect(count).toBeGreaterThan(0);
    expect(cut.generation).toBeGreaterThanOrEqual(1);
    const after = await h.app.inject('/v1/views/payments_by_country/query');
    expect(after.json().freshness).toMatchObject({ batchVersion: 'v1', speedLagMessages: 0 });
    expect([...versions].sort()).toEqual(['null', 'v1']);
    await checkAll([...phase1, ...phase2], 'after flip 1');
  });

  it('stays exact after covered generations are dropped and the old version is deleted by a second flip', async () => {
    const pointer = await h.store.readPointer();
    expect(pointer?.version).toBe('v1');
    await h.store.dropGenerations(pointer?.generation ?? 0, views.map((v) => v.name));
    await checkAll([...phase1, ...phase2], 'after dropping covered generations');

    await post(phase3, false);
    await h.caughtUp();
    const all = [...phase1, ...phase2, ...phase3, ...phase4];
    let releaseCut!: () => void;
    const cutDone = new Promise<void>((resolve) => (releaseCut = resolve));
    // v2 covers phases 1-3 (everything before its cut); phase 4 lands in the next generation.
    const publish = h.publishVersion('v2', uniqueById([...phase1, ...phase2, ...phase3]), {
      afterCut: async () => {
        await post(phase4, true);
        await h.caughtUp();
        releaseCut();
      },
    });
    await cutDone;
    const loop = queryLoop(all, publish.then(() => rm(`${h.lakeDir}/views/v1`, { recursive: true, force: true })), 'v2');
    await publish;
    const { versions } = await loop;
    expect([...versions].sort()).toEqual(['v1', 'v2']);
    await checkAll(all, 'after flip 2');
    expect((await h.app.inject('/v1/views/payments_by_country/query')).json().freshness.batchVersion).toBe('v2');
  });

  it('queues batch runs on the real BullMQ queue and reads them back', async () => {
    const posted = await h.app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: { views: ['page_views'] } });
    expect(posted.statusCode, posted.body).toBe(202);
    const { id, status } = posted.json();
    expect(status).toBe('queued');
    const again = await h.app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    expect(again.json()).toEqual({ id, status: 'queued' });
    const run = await h.app.inject({ url: `/v1/batch/runs/${id}`, headers: auth });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ id, status: 'queued', progress: 0, startedAt: null, finishedAt: null, error: null, version: null });
    const list = await h.app.inject({ url: '/v1/batch/runs?limit=5', headers: auth });
    expect(list.json().runs.map((r: { id: string }) => r.id)).toContain(id);
    expect((await h.app.inject({ url: '/v1/batch/runs/nope', headers: auth })).statusCode).toBe(404);
  });

  it('is ready when Kafka, Redis and the lake answer, and counts requests in /metrics', async () => {
    const ready = await h.app.inject('/readyz');
    expect(ready.statusCode, ready.body).toBe(200);
    const metrics = await h.app.inject('/metrics');
    expect(metrics.body).toMatch(/tributary_http_request_duration_seconds_count\{method="GET",route="\/v1\/views\/:name\/query",status_code="200"\}/);
  });
});
