import { integrationEnv, uniqueName } from '@tributary/testing';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

// Proves BullMQ runs for real on Redis: a queued job is picked up by a worker in this process,
// reports progress, and its result comes back through QueueEvents.
const { redisUrl } = integrationEnv();
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const name = uniqueName('recompute');
const prefix = 'trb-test';
const queue = new Queue(name, { connection, prefix });
const events = new QueueEvents(name, { connection: connection.duplicate(), prefix });
const progress: number[] = [];
const worker = new Worker(
  name,
  async (job) => {
    for (const p of [25, 50, 100]) {
      await job.updateProgress(p);
      progress.push(p);
    }
    return { sum: (job.data as { values: number[] }).values.reduce((a, b) => a + b, 0) };
  },
  { connection: connection.duplicate(), prefix },
);

afterAll(async () => {
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

describe('BullMQ (real Redis, real worker)', () => {
  it('runs a job to completion with progress and a result', async () => {
    await events.waitUntilReady();
    const job = await queue.add('run', { values: [1, 2, 3, 4] }, { jobId: 'run-1' });
    const result = await job.waitUntilFinished(events, 30_000);
    expect(result).toEqual({ sum: 10 });
    expect(progress).toEqual([25, 50, 100]);
    expect(await queue.getJobState('run-1')).toBe('completed');
  });
});
