import { parseViews, type ViewDefinition } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { type AnswerRow, compareRows, distinctById, expectedRows, queryString, standardQueries, type QuerySpec } from './oracle';
import type { ValidEvent } from './workload';

const view = parseViews(
  `views:
  - name: pay
    eventTypes: [payment]
    granularity: minute
    dimensions: [country]
    metrics:
      - { name: n, kind: count }
      - { name: revenue, kind: sum, field: amount }
      - { name: low, kind: min, field: amount }
      - { name: avg, kind: avg, field: amount }
      - { name: buyers, kind: distinct, field: user }`,
  'test.yaml',
)[0] as ViewDefinition;
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const ev = (id: string, minute: number, attrs: ValidEvent['attrs'], type = 'payment'): ValidEvent => ({ id, type, ts: t0 + minute * 60_000 + 1_234, attrs });
const events = distinctById([
  ev('a', 0, { country: 'DE', amount: 10, user: 'u1' }),
  ev('a', 0, { country: 'DE', amount: 10, user: 'u1' }),
  ev('b', 0, { country: 'DE', amount: null, user: 1 }),
  ev('c', 1, { amount: 5, user: '1' }),
  ev('d', 61, { country: 'FR', user: 1 }),
  ev('e', 1, { country: 'DE', amount: 99 }, 'signup'),
]);
const spec = (over: Partial<QuerySpec>): QuerySpec => ({ view: 'pay', from: t0, to: t0 + 3 * 3_600_000, granularity: 'minute', groupBy: [], filters: [], ...over });

describe('the oracle', () => {
  it('counts each id once, per bucket, with SQL NULL semantics and distinct values compared as strings', () => {
    expect(expectedRows(view, events, spec({}))).toEqual([
      { bucket: '2026-12-01T10:00:00.000Z', dims: {}, metrics: { n: 2, revenue: 10, low: 10, avg: 10, buyers: 2 } },
      { bucket: '2026-12-01T10:01:00.000Z', dims: {}, metrics: { n: 1, revenue: 5, low: 5, avg: 5, buyers: 1 } },
      { bucket: '2026-12-01T11:01:00.000Z', dims: {}, metrics: { n: 1, revenue: null, low: null, avg: null, buyers: 1 } },
    ]);
  });

  it('rolls up, groups (a missing dimension is null) and filters (dim: is the null group)', () => {
    expect(expectedRows(view, events, spec({ granularity: 'all', groupBy: ['country'] }))).toEqual([
      { bucket: '2026-12-01T10:00:00.000Z', dims: { country: 'DE' }, metrics: { n: 2, revenue: 10, low: 10, avg: 10, buyers: 2 } },
      { bucket: '2026-12-01T10:00:00.000Z', dims: { country: null }, metrics: { n: 1, revenue: 5, low: 5, avg: 5, buyers: 1 } },
      { bucket: '2026-12-01T10:00:00.000Z', dims: { country: 'FR' }, metrics: { n: 1, revenue: null, low: null, avg: null, buyers: 1 } },
    ]);
    expect(expectedRows(view, events, spec({ granularity: 'hour', filters: [['country', null], ['country', 'FR']] })).map((r) => [r.bucket, r.metrics['n']])).toEqual([
      ['2026-12-01T10:00:00.000Z', 1],
      ['2026-12-01T11:00:00.000Z', 1],
    ]);
    expect(queryString(spec({ groupBy: ['country'], filters: [['country', null]] }))).toContain('filter=country%3A');
  });

  it('finds every kind of difference, and allows only the HyperLogLog error on distinct counts', () => {
    const s = spec({});
    const want = expectedRows(view, events, s);
    expect(compareRows(view, s, want, want)).toEqual([]);
    const off = structuredClone(want);
    const [r0, r1, r2] = off as [AnswerRow, AnswerRow, AnswerRow];
    r0.metrics['n'] = 3;
    r1.metrics['revenue'] = 5.000001;
    r2.metrics['buyers'] = 2; // within tolerance (±2)
    expect(compareRows(view, s, off, want)).toEqual([expect.stringMatching(/n: 3 instead of 2/), expect.stringMatching(/revenue: 5.000001 instead of 5/)]);
    expect(compareRows(view, s, want.slice(1), want)).toEqual([expect.stringMatching(/missing row/)]);
    expect(compareRows(view, s, [...want, want[0] as AnswerRow], want)[0]).toMatch(/answered twice/);
  });

  it('checks every granularity a view allows, with groupBy and filters', () => {
    const specs = standardQueries([view], { from: t0, to: t0 + 86_400_000 });
    expect(new Set(specs.map((q) => q.granularity))).toEqual(new Set(['minute', 'hour', 'day', 'all']));
    expect(specs.some((q) => q.filters.some(([, v]) => v === null))).toBe(true);
  });
});
