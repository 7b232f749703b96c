import { describe, expect, it } from 'vitest';
import { mergeRequestedViews, newestFirst, runStatusOf, toBatchRun, type JobSnapshot } from './batch-run';

const job = (over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id: 'run-3',
  progress: 0,
  timestamp: Date.UTC(2026, 10, 23, 10),
  attemptsMade: 0,
  returnvalue: null,
  ...over,
});

describe('batch runs as CONTRACT.md §4 shows them', () => {
  it('maps BullMQ states to run statuses; a retry waiting for its backoff is still running', () => {
    expect(runStatusOf('waiting', 0)).toBe('queued');
    expect(runStatusOf('prioritized', 0)).toBe('queued');
    expect(runStatusOf('delayed', 0)).toBe('queued');
    expect(runStatusOf('delayed', 1)).toBe('running');
    expect(runStatusOf('active', 0)).toBe('running');
    expect(runStatusOf('completed', 1)).toBe('succeeded');
    expect(runStatusOf('failed', 3)).toBe('failed');
    expect(runStatusOf('unknown', 0)).toBeUndefined();
  });

  it('shows a queued run without start or end', () => {
    expect(toBatchRun(job({ progress: 0 }), 'waiting')).toEqual({
      id: 'run-3',
      status: 'queued',
      progress: 0,
      createdAt: '2026-11-23T10:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      error: null,
      stats: { rowsRead: 0, filesRead: 0, rejected: 0, durationMs: 0 },
      version: null,
    });
  });

  it('shows a succeeded run with its version and stats, and a failed one with its error', () => {
    const t = Date.UTC(2026, 10, 23, 10);
    const stats = { rowsRead: 10, filesRead: 2, rejected: 1, durationMs: 900 };
    const ok = toBatchRun(job({ processedOn: t + 100, finishedOn: t + 1000, attemptsMade: 1, returnvalue: { version: 'v1', stats } }), 'completed');
    expect(ok).toMatchObject({ status: 'succeeded', progress: 100, version: 'v1', stats, error: null, finishedAt: '2026-11-23T10:00:01.000Z' });
    const failed = toBatchRun(job({ processedOn: t + 100, finishedOn: t + 600, attemptsMade: 3, failedReason: 'boom', progress: 40 }), 'failed');
    expect(failed).toMatchObject({ status: 'failed', progress: 40, error: 'boom', version: null, stats: { durationMs: 500 } });
  });

  it('shows a run read before BullMQ finished it as running, not as a success without its result', () => {
    const t = Date.UTC(2026, 10, 23, 10);
    const stale = job({ processedOn: t + 100, attemptsMade: 0, progress: 90 });
    expect(toBatchRun(stale, 'completed')).toMatchObject({ status: 'running', progress: 90, version: null, finishedAt: null, error: null });
    expect(toBatchRun(stale, 'failed')).toMatchObject({ status: 'running', progress: 90, error: null, finishedAt: null });
  });

  it('orders newest first and merges the views of collapsed requests', () => {
    const a = toBatchRun(job({ id: 'run-1', finishedOn: Date.UTC(2026, 10, 23, 11) }), 'completed');
    const b = toBatchRun(job({ id: 'run-2' }), 'waiting');
    expect([a, b].map((r) => r as NonNullable<typeof r>).sort(newestFirst).map((r) => r.id)).toEqual(['run-2', 'run-1']);
    expect(mergeRequestedViews(['b'], ['a', 'b'])).toEqual(['a', 'b']);
    expect(mergeRequestedViews(undefined, ['a'])).toBeUndefined();
    expect(mergeRequestedViews(['a'], undefined)).toBeUndefined();
  });
});
