import { integrationEnv, uniqueName, waitFor } from '@tributary/testing';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRecomputeQueue, createRecomputeWorker, recomputeKeys, toBatchRun, UnrecoverableError, type RecomputeResult, type RunContext } from '../src/index';

// The recompute queue on a real Redis with a real BullMQ worker: requests collapse into the queued
// run, a request during a run queues the next one, runs go one at a time, and their status, progress,
// stats, version and errors read as CONTRACT.md §4 says.
const { redisUrl } = integrationEnv();
const prefix = uniqueName('q').replaceAll('-', '').slice(0, 40);
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = createRecomputeQueue({ connection: redis, prefix, attempts: 2, backoffMs: 50 });
let worker: Worker | undefined;

afterAll(async () => {
  await worker?.close();
  await queue.queue.obliterate({ force: true });
  await redis.del(recomputeKeys(prefix).epoch);
  await queue.close();
  redis.disconnect();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('recompute queue', () => {
  const gates = [deferred(), deferred(), deferred()];
  const seen: RunContext[] = [];

  it('collapses requests into the queued run, queues the next during a run, reports runs', async () => {
    const first = await queue.requestRun({ reason: 'test' });
    expect(first.status).toBe('queued');
    expect(await queue.requestRun()).toEqual(first);
    expect(await queue.requestRun({ views: ['a'] })).toEqual(first);
    expect(await queue.getRun(first.id)).toMatchObject({ id: first.id, status: 'queued', progress: 0, startedAt: null, version: null });
    expect((await queue.queue.getJob(first.id))?.data).toMatchObject({ reason: 'test' });
    expect((await queue.queue.getJob(first.id))?.data.views).toBeUndefined(); // a full run covers ["a"]

    let active = 0;
    let maxActive = 0;
    worker = await createRecomputeWorker({
      connection: redis,
      prefix,
      run: async (context): Promise<RecomputeResult> => {
        seen.push(context);
        maxActive = Math.max(maxActive, ++active);
        try {
          await context.updateProgress(40);
          await gates[seen.length - 1]?.promise;
          if (context.request.views?.includes('broken')) throw new UnrecoverableError('view "broken" cannot be computed');
          return { version: `v${seen.length}`, stats: { rowsRead: 10, filesRead: 2, rejected: 1, durationMs: 5 }, generation: seen.length, views: [], ingested: [], refused: [] };
        } finally {
          active--;
        }
      },
    });

    await waitFor(async () => (await queue.getRun(first.id))?.status === 'running', { description: 'the first run to start' });
    expect(await queue.getRun(first.id)).toMatchObject({ status: 'running', progress: 40 });
    const second = await queue.requestRun({ views: ['broken'] });
    expect(second.id).not.toBe(first.id);
    expect(await queue.requestRun({ views: ['broken'] })).toEqual(second);
    expect((await queue.getRun(second.id))?.status).toBe('queued');

    gates[0]?.resolve();
    await waitFor(async () => (await queue.getRun(first.id))?.status === 'succeeded', { description: 'the first run to succeed' });
    const done = await queue.getRun(first.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, version: 'v1', error: null, stats: { rowsRead: 10, filesRead: 2, rejected: 1, durationMs: 5 } });
    expect(Date.parse(done?.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(done?.startedAt as string));

    gates[1]?.resolve();
    await waitFor(async () => (await queue.getRun(second.id))?.status === 'failed', { description: 'the second run to fail' });
    expect(await queue.getRun(second.id)).toMatchObject({ status: 'failed', error: 'view "broken" cannot be computed', version: null });
    expect(seen).toHaveLength(2); // UnrecoverableError: no retry
    expect(maxActive).toBe(1);
    expect((await queue.listRuns(10)).map((r) => r.id)).toEqual([second.id, first.id]);
    expect((await queue.listRuns(1)).map((r) => r.id)).toEqual([second.id]);
    expect(await queue.getRun('run-999')).toBeUndefined();
  });

  it('never shows a run as succeeded without its version, even when read as it finishes', async () => {
    const third = await queue.requestRun();
    await waitFor(async () => (await queue.getRun(third.id))?.status === 'running', { description: 'the third run to start' });
    const before = await queue.queue.getJob(third.id); // read while active: no result, no finishedOn
    let polls = 0;
    let stop = false;
    const watch = (async () => {
      while (!stop) {
        const run = await queue.getRun(third.id);
        polls++;
        if (run?.status === 'succeeded') expect(run.version).toBe('v3');
      }
    })();
    gates[2]?.resolve();
    await waitFor(async () => (await queue.queue.getJobState(third.id)) === 'completed', { description: 'the third run to complete' });
    stop = true;
    await watch;
    expect(polls).toBeGreaterThan(0);
    // That older read with the newer state: still running, not a success without its result.
    expect(before && toBatchRun(before, 'completed')).toMatchObject({ id: third.id, status: 'running', version: null });
    expect(await queue.getRun(third.id)).toMatchObject({ status: 'succeeded', version: 'v3', stats: { rowsRead: 10 } });
  });
});
