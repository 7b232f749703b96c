import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RecomputeRequest, RecomputeResult } from './batch-run';
import { RECOMPUTE_QUEUE, RECOMPUTE_SCHEDULE_QUEUE } from './queue-keys';
import type { RecomputeQueue } from './recompute-queue';

/** What the run's code sees of its BullMQ job. */
export interface RunContext {
  id: string;
  request: RecomputeRequest;
  attempt: number;
  updateProgress(percent: number): Promise<void>;
}

/**
 * The worker of the `recompute` queue: one run at a time in this process, and one at a time across
 * processes (the queue's global concurrency is 1). Throw `UnrecoverableError` for input that will
 * never succeed; any other error is retried with backoff.
 */
export async function createRecomputeWorker(options: {
  connection: Redis;
  prefix: string;
  run: (context: RunContext) => Promise<RecomputeResult>;
  /**
   * How long a run's lock lives without renewal (default 30 s); BullMQ renews it every half of that
   * while the run goes on. A worker killed mid-run loses its lock after this, and the run is taken up
   * again (from the start: a run is idempotent) by the next stalled-jobs check, every `lockDurationMs / 2`.
   */
  lockDurationMs?: number;
}): Promise<Worker> {
  const { prefix } = options;
  const admin = new Queue(RECOMPUTE_QUEUE, { connection: options.connection.duplicate() as ConnectionOptions, prefix });
  await admin.setGlobalConcurrency(1);
  await admin.close();
  return new Worker(
    RECOMPUTE_QUEUE,
    async (job: Job) =>
      options.run({
        id: job.id as string,
        request: job.data as RecomputeRequest,
        attempt: job.attemptsMade + 1,
        updateProgress: (percent) => job.updateProgress(Math.round(percent)),
      }),
    {
      connection: options.connection.duplicate() as ConnectionOptions,
      prefix,
      concurrency: 1,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: (options.lockDurationMs ?? 30_000) / 2,
    },
  );
}

/**
 * Requests a run every `intervalMs` through a BullMQ job scheduler (one schedule however many
 * batch-layer processes run; it survives restarts). The tick only calls `requestRun`, so a scheduled
 * run collapses with a queued manual one. `intervalMs` = 0 removes the schedule.
 */
export async function startRecomputeSchedule(options: {
  connection: Redis;
  prefix: string;
  intervalMs: number;
  queue: RecomputeQueue;
}): Promise<{ close(): Promise<void> }> {
  const connection = options.connection.duplicate() as ConnectionOptions;
  const schedule = new Queue(RECOMPUTE_SCHEDULE_QUEUE, { connection, prefix: options.prefix });
  if (options.intervalMs <= 0) {
    await schedule.removeJobScheduler('every');
    await schedule.close();
    return { close: async () => undefined };
  }
  await schedule.upsertJobScheduler('every', { every: options.intervalMs }, { name: 'tick', opts: { removeOnComplete: 10, removeOnFail: 10 } });
  const worker = new Worker(RECOMPUTE_SCHEDULE_QUEUE, async () => options.queue.requestRun({ reason: 'schedule' }), {
    connection: options.connection.duplicate() as ConnectionOptions,
    prefix: options.prefix,
    concurrency: 1,
  });
  return {
    async close() {
      await worker.close();
      await schedule.close();
    },
  };
}
