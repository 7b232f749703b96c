import { describe, expect, it } from 'vitest';
import { SegmentBuffer } from './segment-buffer';

describe('SegmentBuffer', () => {
  it('is due by size or by the age of its first message', () => {
    const buffer = new SegmentBuffer();
    const limits = { maxBytes: 20, maxAgeMs: 1000 };
    expect(buffer.isDue(0, limits)).toBe(false);
    buffer.add(0n, 'abc', 100);
    expect(buffer.isDue(500, limits)).toBe(false);
    expect(buffer.isDue(1100, limits)).toBe(true);
    buffer.add(1n, 'x'.repeat(20), 200);
    expect(buffer.isDue(200, limits)).toBe(true);
    expect(buffer.bytes).toBe(25);
  });

  it('takes what is not archived yet and empties itself', () => {
    const buffer = new SegmentBuffer();
    for (let i = 5; i < 10; i++) buffer.add(BigInt(i), `m${i}`, i);
    expect(buffer.first).toBe(5n);
    expect(buffer.take(7n)).toEqual({ first: '7', last: '9', lines: ['m7', 'm8', 'm9'] });
    expect(buffer.isEmpty).toBe(true);
    buffer.add(10n, 'm10', 0);
    expect(buffer.take(11n)).toBeUndefined();
    expect(buffer.isEmpty).toBe(true);
  });
});
