import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { mergeRequestedViews, newestFirst, toBatchRun, type BatchRun, type RecomputeRequest } from './batch-run';
import { RECOMPUTE_JOB_NAME, RECOMPUTE_QUEUE, recomputeKeys, runId } from './queue-keys';

export interface RecomputeQueueOptions {
  /** An ioredis client (BullMQ needs `maxRetriesPerRequest: null`); it is duplicated, not closed. */
  connection: Redis;
  /** BullMQ prefix: REDIS_KEY_PREFIX, so two deployments on one Redis do not meet. */
  prefix: string;
  /** Attempts per run for retriable failures (default 3) and the first backoff (default 5 s, doubling). */
  attempts?: number;
  backoffMs?: number;
  /** Finished runs kept for `getRun`/`listRuns` (default 500 of each outcome). */
  keepFinished?: number;
}

export interface RecomputeQueue {
  readonly queue: Queue;
  /** Queues a run; while one is queued (not started) every request joins that same run. */
  requestRun(request?: RecomputeRequest): Promise<{ id: string; status: 'queued' }>;
  getRun(id: string): Promise<BatchRun | undefined>;
  /** Newest first. */
  listRuns(limit?: number): Promise<BatchRun[]>;
  close(): Promise<void>;
}

// Compare-and-increment: moves the epoch past a run that has left the queue, once.
const BUMP_EPOCH = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], current + 1)
  return current + 1
end
return current`;

/**
 * The BullMQ queue `recompute` as the batch layer and the serving API use it. A request joins the
 * queued run `run-<epoch>`: adding a job whose id exists is a no-op in BullMQ (atomically), and the
 * epoch moves on (compare-and-increment) only once that run has started — so concurrent requests
 * collapse into one queued run, and a request made while a run is going queues the next one.
 */
export function createRecomputeQueue(options: RecomputeQueueOptions): RecomputeQueue {
  const { prefix } = options;
  const keys = recomputeKeys(prefix);
  const redis = options.connection;
  const queue = new Queue(RECOMPUTE_QUEUE, { connection: redis.duplicate() as ConnectionOptions, prefix });
  const keep = options.keepFinished ?? 500;
  const jobOptions: JobsOptions = {
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 5_000 },
    removeOnComplete: { count: keep },
    removeOnFail: { count: keep },
  };

  async function snapshot(id: string): Promise<{ run: BatchRun; data: RecomputeRequest } | undefined> {
    const job = await queue.getJob(id);
    if (!job) return undefined;
    const run = toBatchRun(job, await job.getState());
    return run && { run, data: job.data as RecomputeRequest };
  }

  return {
    queue,
    async requestRun(request = {}) {
      const token = randomUUID();
      const data: RecomputeRequest = { ...(request.views ? { views: [...new Set(request.views)].sort() } : {}), reason: request.reason ?? 'api', token };
      for (let attempt = 0; attempt < 20; attempt++) {
        const epoch = Number((await redis.get(keys.epoch)) ?? 0);
        const id = runId(epoch);
        await queue.add(RECOMPUTE_JOB_NAME, data, { ...jobOptions, jobId: id });
        const found = await snapshot(id);
        // Ours (maybe already started by a worker), or a queued one we join.
        if (found?.data.token === token) return { id, status: 'queued' };
        if (found?.run.status === 'queued') {
          const views = mergeRequestedViews(found.data.views, data.views);
          if (JSON.stringify(views) !== JSON.stringify(found.data.views)) {
            const job = await queue.getJob(id);
            const merged: RecomputeRequest = { ...found.data };
            if (views) merged.views = views;
            else delete merged.views;
            await job?.updateData(merged);
          }
          return { id, status: 'queued' };
        }
        // That run started (or vanished): requests now go to the next one.
        await redis.eval(BUMP_EPOCH, 1, keys.epoch, String(epoch));
      }
      throw new Error('could not queue a recompute run: the queue keeps changing under us; retry');
    },
    getRun: async (id) => (await snapshot(id))?.run,
    async listRuns(limit = 20) {
      const n = Math.max(1, Math.min(1000, Math.floor(limit)));
      const jobs = await queue.getJobs(['waiting', 'prioritized', 'paused', 'active', 'delayed', 'completed', 'failed'], 0, n - 1);
      const runs = await Promise.all(jobs.map(async (job) => toBatchRun(job, await job.getState())));
      return runs.filter((r): r is BatchRun => r !== undefined).sort(newestFirst).slice(0, n);
    },
    close: () => queue.close(),
  };
}
