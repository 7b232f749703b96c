import { describe, expect, it } from 'vitest';
import { DEDUP_INDEX_VERSION, type DedupIndexState, planIndexUpdate, type RunInput } from './dedup-index';

const input = (path: string, below: number | null = null, size = 100): RunInput => ({ parquet: `/cache/${path}`, path, size, mtimeMs: 7, below });
const state = (...covered: RunInput[]): DedupIndexState => ({
  version: DEDUP_INDEX_VERSION,
  covered: covered.map(({ path, size, mtimeMs, below }) => ({ path, size, mtimeMs, below })),
  rows: null,
  copies: 0,
  differing: 0,
});

describe('planIndexUpdate', () => {
  it('looks at everything without an index', () => {
    const plan = planIndexUpdate(undefined, [input('a'), input('b', 5)]);
    expect(plan.reset).toBe(true);
    expect(plan.old).toEqual([]);
    expect(plan.fresh).toEqual([
      { parquet: '/cache/a', path: 'a', from: null, below: null },
      { parquet: '/cache/b', path: 'b', from: null, below: 5 },
    ]);
    expect(plan.covered).toEqual([
      { path: 'a', size: 100, mtimeMs: 7, below: null },
      { path: 'b', size: 100, mtimeMs: 7, below: 5 },
    ]);
  });

  it('has nothing new for the inputs it covers', () => {
    const plan = planIndexUpdate(state(input('a'), input('b', 5)), [input('a'), input('b', 5)]);
    expect(plan).toMatchObject({ reset: false, fresh: [] });
    expect(plan.old.map((p) => [p.path, p.from, p.below])).toEqual([
      ['a', null, null],
      ['b', null, 5],
    ]);
  });

  it('checks only the rows past its cover: new inputs and the rest of a segment the cut fell inside', () => {
    const plan = planIndexUpdate(state(input('a'), input('b', 5)), [input('a'), input('b'), input('c', 3), input('d')]);
    expect(plan.reset).toBe(false);
    expect(plan.old.map((p) => [p.path, p.from, p.below])).toEqual([
      ['a', null, null],
      ['b', null, 5],
    ]);
    expect(plan.fresh.map((p) => [p.path, p.from, p.below])).toEqual([
      ['b', 5, null],
      ['c', null, 3],
      ['d', null, null],
    ]);
    const further = planIndexUpdate(state(input('b', 5)), [input('b', 9)]);
    expect(further.fresh.map((p) => [p.path, p.from, p.below])).toEqual([['b', 5, 9]]);
  });

  it('starts anew when an input it covers is gone, changed or shorter in this run', () => {
    const covered = state(input('a'), input('b', 5));
    expect(planIndexUpdate(covered, [input('b', 5)]).reset).toBe(true);
    expect(planIndexUpdate(covered, [input('a', null, 101), input('b', 5)]).reset).toBe(true);
    expect(planIndexUpdate(covered, [{ ...input('a'), mtimeMs: 8 }, input('b', 5)]).reset).toBe(true);
    expect(planIndexUpdate(covered, [input('a'), input('b', 4)]).reset).toBe(true);
    expect(planIndexUpdate(covered, [input('a', 10), input('b', 5)]).reset).toBe(true);
    const plan = planIndexUpdate(covered, [input('a', 10), input('b', 5)]);
    expect(plan.old).toEqual([]);
    expect(plan.fresh).toHaveLength(2);
  });
});
