/**
 * Names and Redis keys of the recompute queue, built here and nowhere else. BullMQ keeps its own keys
 * under `<prefix>:<queue>:…`; ours live beside them, outside BullMQ's namespace:
 *
 *   <prefix>:recompute-runs:epoch   the number of the run a request joins (`run-<epoch>`) while it
 *                                   is queued; moved on once that run has left the queue
 */
export const RECOMPUTE_QUEUE = 'recompute';
/** The queue of the repeatable "request a run" tick (BATCH_INTERVAL_MS). */
export const RECOMPUTE_SCHEDULE_QUEUE = 'recompute-schedule';
export const RECOMPUTE_JOB_NAME = 'recompute';

export interface RecomputeKeys {
  readonly epoch: string;
}

export function recomputeKeys(prefix: string): RecomputeKeys {
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) {
    throw new TypeError(`queue prefix "${prefix}" may hold only letters, digits, ".", "_" and "-"`);
  }
  return { epoch: `${prefix}:recompute-runs:epoch` };
}

export const runId = (epoch: number): string => `run-${epoch}`;
export const runNumber = (id: string): number => {
  const match = /^run-(\d+)$/.exec(id);
  return match ? Number(match[1]) : -1;
};
