import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../events/event';
import { parseViews } from '../views/parse-views';
import type { ViewDefinition } from '../views/view';
import { aggregateEvents } from './aggregate-events';
import { compareDimensionValues, finalizeQueryRows, queryRows, rollupRows } from './query-rows';
import { normalizeQuery } from './view-query';

const [view] = parseViews(
  `views:
  - name: payments
    eventTypes: [payment]
    granularity: minute
    dimensions: [country, method]
    metrics:
      - { name: n, kind: count }
      - { name: revenue, kind: sum, field: amount }
      - { name: average, kind: avg, field: amount }
      - { name: buyers, kind: distinct, field: user }
`,
  'test.yaml',
) as [ViewDefinition];

const T = Date.parse('2026-11-23T10:00:00Z');
const NOW = Date.parse('2026-11-23T12:00:00Z');
let seq = 0;
const pay = (minute: number, country: string | null, method: string, amount: number, user: string): NormalizedEvent => ({
  id: String(seq++),
  type: 'payment',
  ts: T + minute * 60_000 + 7,
  attrs: { country, method, amount, user },
});
const events = [
  pay(0, 'DE', 'card', 10, 'a'),
  pay(0, 'DE', 'sepa', 20, 'b'),
  pay(1, 'FR', 'card', 5, 'a'),
  pay(1, null, 'card', 1, 'c'),
  pay(61, 'DE', 'card', 3, 'a'),
  pay(-1, 'DE', 'card', 100, 'z'),
];
const rows = [...aggregateEvents(view, events).values()];

describe('normalizeQuery', () => {
  it('normalizes groupBy to the view order and collects filters (dim: = null)', () => {
    const q = normalizeQuery(view, { groupBy: 'method, country', filter: ['country:DE', 'country:', 'method:a:b'] }, NOW);
    expect(q.groupBy).toEqual(['country', 'method']);
    expect(q.filters).toEqual(new Map([['country', new Set(['DE', null])], ['method', new Set(['a:b'])]]));
    expect(normalizeQuery(view, { groupBy: ['country', ''], filter: 'method:card' }, NOW).groupBy).toEqual(['country']);
    expect(normalizeQuery(view, {}, NOW)).toMatchObject({ groupBy: [], filters: new Map(), granularity: 'minute', from: NOW - 3_600_000, to: NOW });
  });

  it.each([
    [{ groupBy: 'city' }, 'TRB_QUERY_INVALID_GROUP_BY', 'groupBy: "city" is not a dimension of view "payments" (dimensions: country, method)'],
    [{ filter: 'country' }, 'TRB_QUERY_INVALID_FILTER', 'filter: "country" must be dim:value (or dim: for null)'],
    [{ filter: ['city:x'] }, 'TRB_QUERY_INVALID_FILTER', 'filter: "city" is not a dimension'],
    [{ granularity: 'second' }, 'TRB_QUERY_INVALID_GRANULARITY', 'granularity "second" is invalid'],
  ])('refuses %j', (input, code, message) => {
    expect(() => normalizeQuery(view, input, NOW)).toThrow(expect.objectContaining({ code, statusCode: 400, message: expect.stringContaining(message) }));
  });

  it('says when a view has no dimensions', () => {
    const [bare] = parseViews('views: [{ name: b, eventTypes: [t], granularity: hour, metrics: [{ name: n, kind: count }] }]', 'x.yaml') as [ViewDefinition];
    expect(() => normalizeQuery(bare, { groupBy: 'x' }, NOW)).toThrow('(dimensions: none: this view has no dimensions)');
  });
});

describe('queryRows', () => {
  const range = { from: '2026-11-23T10:00:00Z', to: '2026-11-23T11:30:00Z' };

  it('answers per minute without groupBy: one row per bucket, dims {}', () => {
    const result = queryRows(view, normalizeQuery(view, range, NOW), rows);
    expect(result).toEqual([
      { bucket: '2026-11-23T10:00:00.000Z', dims: {}, metrics: { n: 2, revenue: 30, average: 15, buyers: 2 } },
      { bucket: '2026-11-23T10:01:00.000Z', dims: {}, metrics: { n: 2, revenue: 6, average: 3, buyers: 2 } },
      { bucket: '2026-11-23T11:01:00.000Z', dims: {}, metrics: { n: 1, revenue: 3, average: 3, buyers: 1 } },
    ]);
  });

  it('rolls up to hours and groups, sorted by bucket then dims with null last', () => {
    const result = queryRows(view, normalizeQuery(view, { ...range, granularity: 'hour', groupBy: 'country' }, NOW), rows);
    expect(result).toEqual([
      { bucket: '2026-11-23T10:00:00.000Z', dims: { country: 'DE' }, metrics: { n: 2, revenue: 30, average: 15, buyers: 2 } },
      { bucket: '2026-11-23T10:00:00.000Z', dims: { country: 'FR' }, metrics: { n: 1, revenue: 5, average: 5, buyers: 1 } },
      { bucket: '2026-11-23T10:00:00.000Z', dims: { country: null }, metrics: { n: 1, revenue: 1, average: 1, buyers: 1 } },
      { bucket: '2026-11-23T11:00:00.000Z', dims: { country: 'DE' }, metrics: { n: 1, revenue: 3, average: 3, buyers: 1 } },
    ]);
  });

  it('answers `all` with one row per group whose bucket is the effective from', () => {
    const result = queryRows(view, normalizeQuery(view, { ...range, granularity: 'all', groupBy: 'method' }, NOW), rows);
    expect(result).toEqual([
      { bucket: '2026-11-23T10:00:00.000Z', dims: { method: 'card' }, metrics: { n: 4, revenue: 19, average: 4.75, buyers: 2 } },
      { bucket: '2026-11-23T10:00:00.000Z', dims: { method: 'sepa' }, metrics: { n: 1, revenue: 20, average: 20, buyers: 1 } },
    ]);
  });

  it('filters: same dim repeated = any of; dim: = null; values compare as strings', () => {
    const q = (filter: string[]) => queryRows(view, normalizeQuery(view, { ...range, granularity: 'all', filter }, NOW), rows)[0]?.metrics['n'];
    expect(q(['country:DE'])).toBe(3);
    expect(q(['country:DE', 'country:FR'])).toBe(4);
    expect(q(['country:'])).toBe(1);
    expect(q(['country:DE', 'method:sepa'])).toBe(1);
    expect(q(['country:XX'])).toBeUndefined();
  });

  it('merges batch and speed halves fed into one rollup, leaving the inputs alone', () => {
    const query = normalizeQuery(view, { ...range, granularity: 'all' }, NOW);
    const half1 = [...aggregateEvents(view, events.slice(0, 3)).values()];
    const half2 = [...aggregateEvents(view, events.slice(3)).values()];
    const rolled = rollupRows(view, query, half2, rollupRows(view, query, half1));
    expect(finalizeQueryRows(view, query, rolled)).toEqual(queryRows(view, query, rows));
    expect(queryRows(view, query, half1)[0]?.metrics['n']).toBe(3);
  });
});

describe('queryRows against an oracle (fast-check)', () => {
  const event = fc.record({
    id: fc.constant('x'),
    type: fc.constantFrom('payment', 'other'),
    ts: fc.oneof(fc.integer({ min: T - 3 * 3_600_000, max: T + 3 * 3_600_000 }), fc.integer({ min: T - 2 * 86_400_000, max: T + 2 * 86_400_000 })),
    attrs: fc.record(
      {
        country: fc.constantFrom('DE', 'FR', null, ''),
        method: fc.constantFrom('card', 'sepa', 'null'),
        amount: fc.integer({ min: -400, max: 400 }).map((n) => n / 4),
        user: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      },
      { requiredKeys: [] },
    ),
  }) as fc.Arbitrary<NormalizedEvent>;
  const query = fc.record({
    from: fc.oneof(fc.integer({ min: T - 3 * 3_600_000, max: T + 3 * 3_600_000 }), fc.integer({ min: T - 2 * 86_400_000, max: T + 86_400_000 })),
    span: fc.oneof(fc.integer({ min: 0, max: 4 * 3_600_000 }), fc.integer({ min: 0, max: 2 * 86_400_000 })),
    granularity: fc.constantFrom('minute', 'hour', 'day', 'all'),
    groupBy: fc.subarray(['country', 'method']),
    filter: fc.subarray(['country:DE', 'country:', 'country:FR', 'method:card', 'method:null']),
  });

  it('equals aggregating the matching events directly at the query granularity and groupBy', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), query, (events, q) => {
        const normalized = normalizeQuery(view, { from: q.from, to: q.from + q.span, granularity: q.granularity, groupBy: q.groupBy, filter: q.filter }, NOW);
        const actual = queryRows(view, normalized, aggregateEvents(view, events));
        const matching = events
          .filter((e) => e.type === 'payment' && e.ts >= normalized.from && e.ts < normalized.to)
          .filter((e) => [...normalized.filters].every(([d, values]) => values.has((e.attrs[d] as string | null | undefined) ?? null)))
          .map((e) => (normalized.granularity === 'all' ? { ...e, ts: normalized.from } : e));
        const direct: ViewDefinition = { ...view, dimensions: normalized.groupBy, granularity: normalized.granularity === 'all' ? 'minute' : normalized.granularity };
        const expected = finalizeQueryRows(direct, { ...normalized, granularity: direct.granularity }, aggregateEvents(direct, matching));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
});

describe('compareDimensionValues', () => {
  it('orders by code point (UTF-8 byte order), null last', () => {
    const values = ['b', null, 'a', '', 'ab', '\uffff', '😀', 'é', 'Z'];
    expect([...values].sort(compareDimensionValues)).toEqual(['', 'Z', 'a', 'ab', 'b', 'é', '\uffff', '😀', null]);
  });

  it('agrees with comparing UTF-8 bytes', () => {
    const bytes = (s: string) => [...new TextEncoder().encode(s)];
    const byteCompare = (a: string, b: string): number => {
      const [x, y] = [bytes(a), bytes(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    };
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareDimensionValues(a, b))).toBe(Math.sign(byteCompare(a, b)));
      }),
      { numRuns: 2000 },
    );
  });
});
