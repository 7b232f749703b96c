import { runNumber } from './queue-keys';

/** What a run is asked to do. `views` absent = a full run (every view, new cut, inbox ingested). */
export interface RecomputeRequest {
  views?: string[];
  /** Who asked: 'api', 'schedule', 'cli', … (for logs). */
  reason?: string;
  /** Set by `requestRun`: tells the request that created a run from those that joined it. */
  token?: string;
}

export interface RunStats {
  /** Valid events read from the master dataset (Kafka below the cut, and files). */
  rowsRead: number;
  /** Inputs read: archived segments and ingested files. */
  filesRead: number;
  /** Invalid records among those inputs (never counted). */
  rejected: number;
  durationMs: number;
}

/** What a successful run returns (the job's return value). */
export interface RecomputeResult {
  version: string;
  stats: RunStats;
  generation: number;
  views: string[];
  ingested: string[];
  refused: Array<{ file: string; reason: string }>;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A batch run as CONTRACT.md §4 shows it. */
export interface BatchRun {
  id: string;
  status: RunStatus;
  progress: number;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  stats: RunStats;
  version: string | null;
}

/** The fields of a BullMQ job this mapping reads. */
export interface JobSnapshot {
  id?: string | undefined;
  progress: unknown;
  timestamp: number;
  processedOn?: number | undefined;
  finishedOn?: number | undefined;
  failedReason?: string | undefined;
  attemptsMade: number;
  returnvalue: unknown;
}

const QUEUED_STATES = new Set(['waiting', 'prioritized', 'waiting-children', 'paused']);

/** BullMQ state → run status; a failed attempt waiting for its retry is still `running`. */
export function runStatusOf(state: string, attemptsMade: number): RunStatus | undefined {
  if (QUEUED_STATES.has(state)) return 'queued';
  if (state === 'delayed') return attemptsMade > 0 ? 'running' : 'queued';
  if (state === 'active') return 'running';
  if (state === 'completed') return 'succeeded';
  if (state === 'failed') return 'failed';
  return undefined;
}

const iso = (ms: number | undefined): string | null => (ms === undefined || ms === null || ms === 0 ? null : new Date(ms).toISOString());

/**
 * A job read from Redis and its state read a moment apart: the state may be newer than the job. A
 * finished state with a job that has no `finishedOn` means the job was read before BullMQ finished it
 * (its result or error are not in that read), so the run shows as still running until the next read —
 * never as succeeded without its version and stats.
 */
export function toBatchRun(job: JobSnapshot, state: string): BatchRun | undefined {
  const readBeforeFinish = (state === 'completed' || state === 'failed') && !job.finishedOn;
  const status = readBeforeFinish ? 'running' : runStatusOf(state, job.attemptsMade);
  if (status === undefined || job.id === undefined) return undefined;
  const result = status === 'succeeded' ? (job.returnvalue as RecomputeResult | null) : null;
  const progress = status === 'succeeded' ? 100 : typeof job.progress === 'number' ? Math.max(0, Math.min(100, Math.floor(job.progress))) : 0;
  const startedAt = status === 'queued' ? null : iso(job.processedOn);
  const finishedAt = status === 'succeeded' || status === 'failed' ? iso(job.finishedOn) : null;
  const durationMs = job.processedOn && job.finishedOn && finishedAt ? job.finishedOn - job.processedOn : 0;
  return {
    id: job.id,
    status,
    progress,
    createdAt: iso(job.timestamp),
    startedAt,
    finishedAt,
    error: status === 'succeeded' ? null : (job.failedReason ?? null) || null,
    stats: result?.stats ?? { rowsRead: 0, filesRead: 0, rejected: 0, durationMs },
    version: result?.version ?? null,
  };
}

/** Newest first: by creation time, then by run number. */
export function newestFirst(a: BatchRun, b: BatchRun): number {
  const byTime = (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
  return byTime !== 0 ? byTime : runNumber(b.id) - runNumber(a.id);
}

/** The views a queued run must cover once a second request joins it (undefined = all). */
export function mergeRequestedViews(queued: readonly string[] | undefined, requested: readonly string[] | undefined): string[] | undefined {
  if (queued === undefined || requested === undefined) return undefined;
  return [...new Set([...queued, ...requested])].sort();
}
