import type { NormalizedEvent } from '@tributary/core';
import { waitFor } from '@tributary/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createServingHarness, expectSameRows, oracle, views, wire, workload } from './serving-harness';

type Harness = Awaited<ReturnType<typeof createServingHarness>>;

/**
 * The whole Lambda loop with the real apps: events in over HTTP → speed layer and archiver → a batch
 * run requested over HTTP (BullMQ worker of the batch layer) → answers equal to the oracle before,
 * during and after the run, and the freshness names the run's version.
 */
describe('batch runs through the real batch layer', () => {
  let h: Harness;
  const now = Date.now();
  const params = { from: String(now - 4 * 3_600_000), to: String(now + 60_000), granularity: 'hour', groupBy: 'country' };
  const view = views.find((v) => v.name === 'activity_hourly') as (typeof views)[number];

  beforeAll(async () => {
    h = await createServingHarness();
    h.startSpeedLayer();
    h.startBatchLayer();
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  async function post(events: readonly NormalizedEvent[]) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: events.map(wire) });
    expect(res.statusCode, res.body).toBe(202);
  }

  async function expectOracle(events: readonly NormalizedEvent[], where: string) {
    const res = await h.app.inject(`/v1/views/${view.name}/query?${new URLSearchParams(params)}`);
    expect(res.statusCode, res.body).toBe(200);
    expectSameRows(res.json().rows, oracle(view, params, events, now), where);
    return res.json().freshness as { batchVersion: string | null };
  }

  async function runBatch(events: readonly NormalizedEvent[]): Promise<string> {
    const posted = await h.app.inject({ method: 'POST', url: '/v1/batch/runs', headers: auth, payload: {} });
    expect(posted.statusCode, posted.body).toBe(202);
    const { id } = posted.json() as { id: string };
    let queries = 0;
    const run = await waitFor(
      async () => {
        await expectOracle(events, `while run ${id} goes (query ${queries++})`);
        const res = await h.app.inject({ url: `/v1/batch/runs/${id}`, headers: auth });
        const body = res.json();
        if (body.status === 'failed') throw new Error(`run failed: ${body.error}\n${h.output()}`);
        return body.status === 'succeeded' ? body : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 100, description: `batch run ${id} to succeed:\n${h.output()}` },
    );
    expect(run).toMatchObject({ id, status: 'succeeded', progress: 100, error: null });
    expect(run.stats.rowsRead).toBeGreaterThan(0);
    expect(typeof run.version).toBe('string');
    return run.version as string;
  }

  it('answers the oracle before, during and after two batch runs', async () => {
    const first = workload(1_000, 11, now, 'b1');
    await post(first);
    await h.caughtUp();
    await expectOracle(first, 'before any run');

    const v1 = await runBatch(first);
    expect((await expectOracle(first, 'after run 1')).batchVersion).toBe(v1);

    const second = [...workload(600, 12, now, 'b2'), ...first.slice(0, 30)];
    await post(second);
    await h.caughtUp();
    const all = [...first, ...second];
    await expectOracle(all, 'after more events');
    const v2 = await runBatch(all);
    expect(v2).not.toBe(v1);
    expect((await expectOracle(all, 'after run 2')).batchVersion).toBe(v2);
    const runs = await h.app.inject({ url: '/v1/batch/runs?limit=5', headers: auth });
    expect(runs.json().runs.filter((r: { status: string }) => r.status === 'succeeded').map((r: { version: string }) => r.version)).toEqual([v2, v1]);
  });
});
