import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HLL_MAX_RANK, HLL_REGISTERS, HyperLogLog, hllRegisterOf, hllRegisterOfHash } from './hll';
import { estimateFromHistogram } from './hll-estimate';

function fill(n: number, prefix = 'v'): HyperLogLog {
  const hll = new HyperLogLog();
  for (let i = 0; i < n; i++) hll.add(`${prefix}${i}`);
  return hll;
}

/** The definition, computed independently with node:crypto and BigInt. */
function referenceRegister(text: string): { index: number; rank: number } {
  const h = createHash('md5').update(text).digest().readBigUInt64LE(0);
  const index = Number(h & 0x3fffn);
  const w = h >> 14n;
  let zeros = 0;
  for (let bit = 49n; bit >= 0n && ((w >> bit) & 1n) === 0n; bit--) zeros++;
  return { index, rank: Math.min(zeros + 1, HLL_MAX_RANK) };
}

describe('HyperLogLog hashing', () => {
  it('matches the definition (md5 first 8 bytes LE; low 14 bits; leading zeros of the other 50, + 1)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(hllRegisterOf(s)).toEqual(referenceRegister(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('ranks hashes at the edges', () => {
    expect(hllRegisterOfHash(0, 0)).toEqual({ index: 0, rank: 51 });
    expect(hllRegisterOfHash(0x3fff, 0)).toEqual({ index: 16383, rank: 51 });
    expect(hllRegisterOfHash(0x4000, 0)).toEqual({ index: 0, rank: 50 });
    expect(hllRegisterOfHash(0x80000000, 0)).toEqual({ index: 0, rank: 33 });
    expect(hllRegisterOfHash(0, 1)).toEqual({ index: 0, rank: 32 });
    expect(hllRegisterOfHash(-1, -1)).toEqual({ index: 16383, rank: 1 });
    expect(hllRegisterOfHash(0xffffffff, 0x7fffffff)).toEqual({ index: 16383, rank: 2 });
  });
});

describe('HyperLogLog', () => {
  it('is empty at first and estimates 0', () => {
    const hll = new HyperLogLog();
    expect(hll.estimate()).toBe(0);
    expect(hll.toPacked()).toEqual([]);
    expect(hll.isSparse).toBe(true);
  });

  it('keeps the max rank per register, in sparse and in dense form', () => {
    const hll = new HyperLogLog();
    hll.addRegister(5, 3);
    hll.addRegister(5, 2);
    hll.addRegister(1, 7);
    hll.addRegister(5, 4);
    expect(hll.toPacked()).toEqual([1 * 64 + 7, 5 * 64 + 4]);
    const big = fill(5000);
    expect(big.isSparse).toBe(false);
    big.addRegister(0, 51);
    big.addRegister(0, 1);
    expect(big.registers()[0]).toBe(51);
  });

  it('counts a value once however often it is added', () => {
    const hll = new HyperLogLog();
    for (let i = 0; i < 1000; i++) hll.add('same');
    expect(Math.round(hll.estimate())).toBe(1);
  });

  it('goes dense past 1024 registers, without changing any register', () => {
    const values = Array.from({ length: 1500 }, (_, i) => `x${i}`);
    const hll = new HyperLogLog();
    const expected = new Uint8Array(HLL_REGISTERS);
    let sawSparse = false;
    for (const v of values) {
      hll.add(v);
      const { index, rank } = referenceRegister(v);
      expected[index] = Math.max(expected[index] as number, rank);
      sawSparse ||= hll.isSparse && hll.toPacked().length > 1000;
    }
    expect(sawSparse).toBe(true);
    expect(hll.isSparse).toBe(false);
    expect(hll.registers()).toEqual(expected);
  });

  it('merges as the element-wise max, sparse with dense in every combination', () => {
    const pairs = [
      [fill(100, 'a'), fill(200, 'b')],
      [fill(100, 'a'), fill(3000, 'b')],
      [fill(3000, 'a'), fill(100, 'b')],
      [fill(3000, 'a'), fill(4000, 'b')],
      [fill(900, 'a'), fill(900, 'b')], // sparse + sparse overflowing to dense
    ];
    for (const [a, b] of pairs as [HyperLogLog, HyperLogLog][]) {
      const ra = a.registers();
      const rb = b.registers();
      const merged = a.clone().mergeFrom(b);
      expect(merged.registers()).toEqual(ra.map((x, i) => Math.max(x, rb[i] as number)));
      expect(a.registers()).toEqual(ra); // inputs untouched
      expect(b.registers()).toEqual(rb);
    }
  });

  it('clones independently', () => {
    for (const original of [fill(10), fill(3000)]) {
      const copy = original.clone();
      copy.add('something new 1');
      copy.add('something new 2');
      copy.add('something new 3');
      expect(copy.toPacked()).not.toEqual(original.toPacked());
    }
  });

  it('round-trips through the packed form, sparse and dense', () => {
    for (const hll of [new HyperLogLog(), fill(10), fill(50_000)]) {
      const packed = hll.toPacked();
      const back = HyperLogLog.fromPacked(packed);
      expect(back.toPacked()).toEqual(packed);
      expect(back.estimate()).toBe(hll.estimate());
      expect(HyperLogLog.fromPacked(packed.map(BigInt)).toPacked()).toEqual(packed);
    }
  });

  it('reads entries in any order, an index repeated, as the highest rank per index', () => {
    for (const hll of [fill(10), fill(3_000), fill(50_000)]) {
      const packed = hll.toPacked();
      // Shuffled, with lower-ranked copies of some registers mixed in.
      const noisy = [...packed, ...packed.filter((_, i) => i % 3 === 0 && (packed[i] as number) % 64 > 1).map((p) => p - 1)];
      for (let i = noisy.length - 1; i > 0; i--) {
        const j = (i * 7919) % (i + 1);
        [noisy[i], noisy[j]] = [noisy[j] as number, noisy[i] as number];
      }
      const back = HyperLogLog.fromPacked(noisy);
      expect(back.toPacked()).toEqual(packed);
      expect(back.estimate()).toBe(hll.estimate());
    }
    expect(HyperLogLog.fromPacked([128 + 1, 64 + 3, 64 + 2, 128 + 5]).toPacked()).toEqual([64 + 3, 128 + 5]);
  });

  it.each([
    [[1.5], 'entry 0 must be a non-negative integer'],
    [['64'], 'must be a non-negative integer'],
    [[-1], 'must be a non-negative integer'],
    [[64], 'out of range'], // rank 0
    [[64 + 52], 'out of range'],
    [[HLL_REGISTERS * 64 + 1], 'out of range'],
  ])('refuses the malformed packed form %j', (packed, message) => {
    expect(() => HyperLogLog.fromPacked(packed)).toThrow(message);
    expect(() => HyperLogLog.fromPacked(packed)).toThrow(expect.objectContaining({ code: 'TRB_STATE_INVALID' }));
  });

  it.each([10, 1_000, 100_000])('estimates %i distinct values within 2%', (n) => {
    const hll = fill(n, `n${n}-`);
    const error = Math.abs(hll.estimate() / n - 1);
    expect(error).toBeLessThan(0.02);
  });

  it('is exact for small counts', () => {
    for (const n of [1, 2, 3, 5, 10, 20]) expect(Math.round(fill(n, 'small').estimate())).toBe(n);
  });
});

describe('estimateFromHistogram (Ertl)', () => {
  it('is 0 for empty registers and large when every register is at the maximum', () => {
    const m = HLL_REGISTERS;
    expect(estimateFromHistogram([m], m, 50)).toBe(0);
    const full = new Array<number>(52).fill(0);
    full[51] = m;
    expect(estimateFromHistogram(full, m, 50)).toBeGreaterThan(1e18);
  });
});
