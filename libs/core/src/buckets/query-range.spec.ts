import { describe, expect, it } from 'vitest';
import { QueryError } from '../errors';
import { formatBucket } from './granularity';
import { MAX_QUERY_BUCKETS, normalizeRange } from './query-range';

const NOW = Date.parse('2026-11-23T10:15:30.123Z');
const iso = (r: { from: number; to: number }) => [formatBucket(r.from), formatBucket(r.to)];

describe('normalizeRange', () => {
  it('defaults to the last hour up to now, aligned to the view granularity', () => {
    const r = normalizeRange('minute', {}, NOW);
    expect(iso(r)).toEqual(['2026-11-23T09:15:00.000Z', '2026-11-23T10:16:00.000Z']);
    expect(r.granularity).toBe('minute');
    expect(iso(normalizeRange('day', {}, NOW))).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z']);
  });

  it('floors from and ceils to; accepts ISO with offset and epoch ms as number or digits', () => {
    const r = normalizeRange('hour', { from: '2026-11-23T08:30:00+01:00', to: String(Date.parse('2026-11-23T09:00:00.001Z')) }, NOW);
    expect(iso(r)).toEqual(['2026-11-23T07:00:00.000Z', '2026-11-23T10:00:00.000Z']);
    expect(iso(normalizeRange('minute', { to: Date.parse('2026-11-23T10:00:00Z') }, NOW))).toEqual(['2026-11-23T09:00:00.000Z', '2026-11-23T10:00:00.000Z']);
  });

  it('accepts coarser granularities and all; an empty range is allowed', () => {
    expect(normalizeRange('minute', { granularity: 'hour' }, NOW).granularity).toBe('hour');
    expect(normalizeRange('hour', { granularity: 'all' }, NOW).granularity).toBe('all');
    const empty = normalizeRange('minute', { from: 60_000, to: 60_000 }, NOW);
    expect(empty.to - empty.from).toBe(0);
  });

  it.each([
    [{ granularity: 'minute' }, 'hour', 'TRB_QUERY_INVALID_GRANULARITY', `granularity "minute" is finer than the view's "hour": use hour, day, all`],
    [{ granularity: 'week' }, 'minute', 'TRB_QUERY_INVALID_GRANULARITY', 'granularity "week" is invalid: use minute, hour, day or all'],
    [{ from: 'yesterday' }, 'minute', 'TRB_QUERY_INVALID_TIME', 'from: "yesterday" is not an ISO-8601 date-time'],
    [{ to: '2026-11-23T10:00:00' }, 'minute', 'TRB_QUERY_INVALID_TIME', 'to: "2026-11-23T10:00:00" has no UTC offset'],
    [{ from: '2026-11-23T11:00:00Z', to: '2026-11-23T10:00:00Z' }, 'minute', 'TRB_QUERY_INVALID_RANGE', 'from (2026-11-23T11:00:00.000Z) must not be after to (2026-11-23T10:00:00.000Z)'],
    [{ from: 0, to: (MAX_QUERY_BUCKETS + 1) * 60_000 }, 'minute', 'TRB_QUERY_TOO_MANY_BUCKETS', 'spans 100001 minute buckets; at most 100000 are allowed: narrow from/to'],
  ] as const)('refuses %j on a %s view', (input, g, code, message) => {
    let error: unknown;
    try {
      normalizeRange(g, input, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect(error).toMatchObject({ code, statusCode: 400, retriable: false });
    expect((error as Error).message).toContain(message);
  });

  it('allows exactly 100 000 buckets', () => {
    expect(() => normalizeRange('minute', { from: 0, to: MAX_QUERY_BUCKETS * 60_000 }, NOW)).not.toThrow();
  });
});
