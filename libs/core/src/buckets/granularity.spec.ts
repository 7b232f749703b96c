import { describe, expect, it } from 'vitest';
import { ceilBucket, floorBucket, formatBucket, isFinerThan, isGranularity, isQueryGranularity, rollupBucket } from './granularity';

const at = (iso: string): number => Date.parse(iso);

describe('UTC buckets', () => {
  it.each([
    ['minute', '2026-11-23T10:15:30.123Z', '2026-11-23T10:15:00.000Z', '2026-11-23T10:16:00.000Z'],
    ['hour', '2026-11-23T10:15:30.123Z', '2026-11-23T10:00:00.000Z', '2026-11-23T11:00:00.000Z'],
    ['day', '2026-11-23T10:15:30.123Z', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
    ['day', '2026-12-31T23:59:59.999Z', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['hour', '1969-12-31T23:30:00.000Z', '1969-12-31T23:00:00.000Z', '1970-01-01T00:00:00.000Z'],
    ['day', '1960-06-15T12:00:00.000Z', '1960-06-15T00:00:00.000Z', '1960-06-16T00:00:00.000Z'],
  ] as const)('%s floor/ceil of %s', (g, ts, floor, ceil) => {
    expect(formatBucket(floorBucket(at(ts), g))).toBe(floor);
    expect(formatBucket(ceilBucket(at(ts), g))).toBe(ceil);
  });

  it('leaves aligned times alone', () => {
    const t = at('2026-11-23T10:00:00.000Z');
    for (const g of ['minute', 'hour'] as const) {
      expect(floorBucket(t, g)).toBe(t);
      expect(ceilBucket(t, g)).toBe(t);
    }
    expect(ceilBucket(t, 'day')).toBe(at('2026-11-24T00:00:00.000Z'));
  });

  it('rolls fine buckets up, and everything to the `all` bucket', () => {
    const minute = at('2026-11-23T10:42:00Z');
    expect(formatBucket(rollupBucket(minute, 'minute', 0))).toBe('2026-11-23T10:42:00.000Z');
    expect(formatBucket(rollupBucket(minute, 'hour', 0))).toBe('2026-11-23T10:00:00.000Z');
    expect(formatBucket(rollupBucket(minute, 'day', 0))).toBe('2026-11-23T00:00:00.000Z');
    expect(rollupBucket(minute, 'all', 12345)).toBe(12345);
  });

  it('orders granularities', () => {
    expect(isFinerThan('minute', 'hour')).toBe(true);
    expect(isFinerThan('day', 'all')).toBe(true);
    expect(isFinerThan('hour', 'hour')).toBe(false);
    expect(isFinerThan('all', 'day')).toBe(false);
    expect(isGranularity('hour')).toBe(true);
    expect(isGranularity('all')).toBe(false);
    expect(isQueryGranularity('all')).toBe(true);
    expect(isQueryGranularity('week')).toBe(false);
  });
});
