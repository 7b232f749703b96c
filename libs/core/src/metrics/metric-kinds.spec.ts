import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '../events/event';
import type { HyperLogLog } from '../sketches/hll';
import { METRIC_KINDS, type MetricKind } from '../views/view';
import {
  aggregateState,
  decodeState,
  encodeState,
  finalizeState,
  initializeState,
  mergeStates,
  metricOps,
} from './metric-kinds';
import type { MetricState } from './metric-state';

const fold = (kind: MetricKind, values: readonly (AttributeValue | undefined)[]): MetricState =>
  values.reduce<MetricState>((s, v) => aggregateState(kind, s, v), initializeState(kind));

/** Numbers whose sums are exact in doubles (multiples of 1/8 well below 2^53), so the laws hold exactly. */
const exactNumber = fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 8);
const value: fc.Arbitrary<AttributeValue | undefined> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  exactNumber,
  fc.integer({ min: 0, max: 50 }),
  fc.constantFrom('a', 'b', '1', '', 'null', 'é'),
  fc.boolean(),
);
const values = fc.array(value, { maxLength: 40 });
const kind = fc.constantFrom(...METRIC_KINDS);

/** Encoded equality with -0 = 0 (the same answer). */
const same = (k: MetricKind, a: MetricState, b: MetricState): void => {
  expect(JSON.stringify(encodeState(k, a))).toBe(JSON.stringify(encodeState(k, b)));
};

describe('metric states', () => {
  it.each([
    ['count', [1, null, undefined, 'x', true], 5],
    ['count', [], 0],
    ['sum', [1.5, null, 2, undefined, '7', true], 3.5],
    ['sum', [null, undefined, 'x'], null],
    ['sum', [], null],
    ['sum', [0], 0],
    ['min', [3, -2, null, 5], -2],
    ['min', [null], null],
    ['max', [3, -2, null, 5], 5],
    ['max', [], null],
    ['avg', [1, 2, null, 6], 3],
    ['avg', [null, 'x'], null],
    ['distinct', ['a', 'b', 'a', null, undefined], 2],
    ['distinct', [1, '1', true, 'true', 1.5, '1.5'], 3],
    ['distinct', [null, undefined], 0],
  ] as const)('%s of %j is %j', (k, input, expected) => {
    expect(finalizeState(k, fold(k, input))).toBe(expected);
  });

  it.each([
    ['count', 7, 7],
    ['sum', null, null],
    ['sum', 12.25, 12.25],
    ['min', -1, -1],
    ['max', 1e300, 1e300],
  ] as const)('%s encodes %j as %j', (k, state, encoded) => {
    expect(encodeState(k, state)).toEqual(encoded);
    expect(decodeState(k, encoded)).toEqual(state);
  });

  it('encodes avg as [sum, count] and distinct as sorted index*64+rank', () => {
    expect(encodeState('avg', fold('avg', [1, 2, null]))).toEqual([3, 2]);
    expect(encodeState('avg', initializeState('avg'))).toEqual([0, 0]);
    const packed = encodeState('distinct', fold('distinct', ['a', 'b', 'c'])) as number[];
    expect(packed).toHaveLength(3);
    expect([...packed].sort((x, y) => x - y)).toEqual(packed);
  });

  it('decodes what DuckDB returns (BIGINT as bigint)', () => {
    expect(decodeState('count', 12n)).toBe(12);
    expect(decodeState('avg', [4.5, 3])).toEqual({ sum: 4.5, count: 3 });
    expect(decodeState('avg', [4.5, 3n])).toEqual({ sum: 4.5, count: 3 });
  });

  it.each([
    ['count', -1, 'a count must be a non-negative integer (got -1)'],
    ['count', 1.5, 'non-negative integer'],
    ['count', '3', 'non-negative integer (got "3")'],
    ['count', 2n ** 60n, 'got 1152921504606846976n'],
    ['sum', 'x', 'a sum/min/max state must be a number or null (got "x")'],
    ['min', Number.NaN, 'must be a number or null'],
    ['avg', [1], 'an avg state must be [sum, count] (got [1])'],
    ['avg', ['1', 2], "an avg state's sum must be a number"],
    ['avg', [1, -2], 'a avg count must be a non-negative integer'],
    ['avg', { sum: 1, count: 1 }, 'an avg state must be [sum, count]'],
    ['distinct', 'abc', 'a distinct state must be a list of index*64+rank (got "abc")'],
    ['distinct', [0], 'out of range'],
    ['count', undefined, 'got undefined'],
    ['sum', 'x'.repeat(100), '…'],
  ] as const)('refuses to decode %s, case %#', (k, encoded, message) => {
    expect(() => decodeState(k, encoded)).toThrow(message);
  });

  describe('laws (fast-check)', () => {
    it('merge is commutative and associative, with initialize() as identity', () => {
      fc.assert(
        fc.property(kind, values, values, values, (k, xs, ys, zs) => {
          const [a, b, c] = [fold(k, xs), fold(k, ys), fold(k, zs)];
          same(k, mergeStates(k, a, b), mergeStates(k, b, a));
          same(k, mergeStates(k, mergeStates(k, a, b), c), mergeStates(k, a, mergeStates(k, b, c)));
          same(k, mergeStates(k, initializeState(k), a), a);
          same(k, mergeStates(k, a, initializeState(k)), a);
        }),
        { numRuns: 500 },
      );
    });

    it('merge changes neither input; mergeInto leaves its source alone', () => {
      fc.assert(
        fc.property(kind, values, values, (k, xs, ys) => {
          const [a, b] = [fold(k, xs), fold(k, ys)];
          const [ea, eb] = [JSON.stringify(encodeState(k, a)), JSON.stringify(encodeState(k, b))];
          const merged = mergeStates(k, a, b);
          expect([JSON.stringify(encodeState(k, a)), JSON.stringify(encodeState(k, b))]).toEqual([ea, eb]);
          const target = metricOps[k].clone(a);
          same(k, metricOps[k].mergeInto(target, b), merged);
          expect(JSON.stringify(encodeState(k, b))).toBe(eb);
          expect(JSON.stringify(encodeState(k, a))).toBe(ea);
        }),
        { numRuns: 300 },
      );
    });

    it('aggregating any split and merging equals aggregating the whole', () => {
      fc.assert(
        fc.property(kind, values, fc.array(fc.nat(), { maxLength: 5 }), (k, xs, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((p, q) => p - q);
          const parts = [...points, xs.length].map((end, i) => xs.slice(i === 0 ? 0 : points[i - 1], end));
          const merged = parts.map((p) => fold(k, p)).reduce((s, t) => mergeStates(k, s, t), initializeState(k));
          same(k, merged, fold(k, xs));
          expect(finalizeState(k, merged)).toBe(finalizeState(k, fold(k, xs)));
        }),
        { numRuns: 500 },
      );
    });

    it('decode(encode(s)) = s, and finalize is stable (same answer, state unchanged)', () => {
      fc.assert(
        fc.property(kind, values, (k, xs) => {
          const s = fold(k, xs);
          const encoded = encodeState(k, s);
          const back = decodeState(k, JSON.parse(JSON.stringify(encoded)));
          same(k, back, s);
          const answer = finalizeState(k, s);
          expect(finalizeState(k, s)).toBe(answer);
          expect(finalizeState(k, back)).toBe(answer);
          expect(JSON.stringify(encodeState(k, s))).toBe(JSON.stringify(encoded));
        }),
        { numRuns: 500 },
      );
    });

    it('sums of arbitrary doubles stay within 1e-9 of the total magnitude whatever the grouping', () => {
      fc.assert(
        fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { minLength: 1, maxLength: 60 }), fc.nat(), (xs, cut) => {
          const at = cut % xs.length;
          const whole = fold('sum', xs) as number;
          const split = mergeStates('sum', fold('sum', xs.slice(0, at)), fold('sum', xs.slice(at))) as number;
          const magnitude = xs.reduce((s, x) => s + Math.abs(x), 0);
          expect(Math.abs(whole - split)).toBeLessThanOrEqual(1e-9 * Math.max(1, magnitude));
        }),
      );
    });
  });

  it('distinct states are HyperLogLogs that estimate within 2% past the sparse range', () => {
    const s = fold('distinct', Array.from({ length: 20_000 }, (_, i) => (i % 2 ? i : `v${i}`)));
    expect((s as HyperLogLog).isSparse).toBe(false);
    expect(Math.abs((finalizeState('distinct', s) as number) / 20_000 - 1)).toBeLessThan(0.02);
  });
});
