import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGroupKey, encodeGroupKey, ViewRows } from './view-row';

const dim = fc.oneof(fc.constant(null), fc.string({ maxLength: 6 }), fc.constantFrom('null', '~', '|~', '|1:a', '', '0:'));
const states = () => [0];

describe('ViewRows', () => {
  it('keys rows by (bucket, dims) exactly: different keys never share a row', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), dim, dim), { maxLength: 40 }), (keys) => {
        const rows = new ViewRows(2);
        const distinct = new Set<string>();
        for (const [bucket, a, b] of keys) {
          rows.upsert(bucket, [a, b], states).states[0] = (rows.get(bucket, [a, b])?.states[0] as number) + 1;
          distinct.add(JSON.stringify([bucket, a, b]));
        }
        expect(rows.size).toBe(distinct.size);
        expect([...rows].length).toBe(distinct.size);
        const total = [...rows].reduce((s, r) => s + (r.states[0] as number), 0);
        expect(total).toBe(keys.length);
        for (const row of rows) expect(distinct.has(JSON.stringify([row.bucket, ...row.dims]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('tells null, "null" and "" apart and copies the dims it is given', () => {
    const rows = new ViewRows(1);
    const dims: (string | null)[] = [null];
    rows.upsert(0, dims, states);
    dims[0] = 'null';
    rows.upsert(0, dims, states);
    rows.upsert(0, [''], states);
    expect([...rows].map((r) => r.dims[0])).toEqual([null, 'null', '']);
  });

  it('sets, replaces, clears, and works without dimensions', () => {
    const rows = new ViewRows(0);
    rows.set({ bucket: 1, dims: [], states: [1] }).set({ bucket: 1, dims: [], states: [2] }).set({ bucket: 2, dims: [], states: [3] });
    expect(rows.size).toBe(2);
    expect(rows.get(1, [])?.states).toEqual([2]);
    rows.clear();
    expect(rows.size).toBe(0);
    expect([...rows.values()]).toEqual([]);
  });

  it('refuses rows with another number of dimensions', () => {
    const rows = new ViewRows(2);
    expect(() => rows.get(0, ['a'])).toThrow('a row of this set has 2 dimension values, not 1');
    expect(() => rows.set({ bucket: 0, dims: [], states: [] })).toThrow('not 0');
    expect(() => rows.upsert(0, ['a', 'b', 'c'], states)).toThrow('not 3');
  });
});

describe('group keys', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.array(dim, { maxLength: 8 }), (dims) => {
        expect(decodeGroupKey(encodeGroupKey(dims))).toEqual(dims);
      }),
    );
    expect(encodeGroupKey(['DE', null])).toBe('["DE",null]');
    expect(() => decodeGroupKey('[1]')).toThrow('not a group key');
    expect(() => decodeGroupKey('{}')).toThrow('not a group key');
  });
});
