// Public API of @tributary/adapter-queue: the BullMQ `recompute` queue of batch runs (CONTRACT.md §4).
export { UnrecoverableError } from 'bullmq';
export {
  type BatchRun,
  mergeRequestedViews,
  type RecomputeRequest,
  type RecomputeResult,
  runStatusOf,
  type RunStats,
  type RunStatus,
  toBatchRun,
} from './batch-run';
export { RECOMPUTE_QUEUE, RECOMPUTE_SCHEDULE_QUEUE, recomputeKeys, type RecomputeKeys } from './queue-keys';
export { createRecomputeQueue, type RecomputeQueue, type RecomputeQueueOptions } from './recompute-queue';
export { createRecomputeWorker, type RunContext, startRecomputeSchedule } from './recompute-worker';
