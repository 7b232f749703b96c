import { describe, expect, it } from 'vitest';
import { parseTime } from './parse-time';

describe('parseTime', () => {
  it.each([
    ['2026-11-23T10:15:30.123Z', Date.UTC(2026, 10, 23, 10, 15, 30, 123)],
    ['2026-11-23T10:15:30Z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23T10:15Z', Date.UTC(2026, 10, 23, 10, 15)],
    ['2026-11-23t10:15:30z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23 10:15:30Z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23T10:15:30.1Z', Date.UTC(2026, 10, 23, 10, 15, 30, 100)],
    ['2026-11-23T10:15:30,12Z', Date.UTC(2026, 10, 23, 10, 15, 30, 120)],
    ['2026-11-23T10:15:30.123456789Z', Date.UTC(2026, 10, 23, 10, 15, 30, 123)],
    ['2026-11-23T12:15:30+02:00', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23T05:45:30-0430', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23T11:15:30+01', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['0050-01-01T00:00:00Z', -60589296000000],
    ['1969-12-31T23:59:59.999Z', -1],
    [1_700_000_000_000, 1_700_000_000_000],
    [-5, -5],
    [0, 0],
  ])('accepts %j', (input, expected) => {
    expect(parseTime(input)).toBe(expected);
  });

  it('agrees with Date.parse on well-formed inputs', () => {
    for (let i = 0; i < 500; i++) {
      const ms = Math.floor(Math.random() * 4e12) - 1e12;
      const iso = new Date(ms).toISOString();
      expect(parseTime(iso)).toBe(ms);
    }
  });

  it.each([
    ['2026-11-20T10:00:00', '"2026-11-20T10:00:00" has no UTC offset; add Z or ±hh:mm'],
    ['2026-11-20T10:00', 'has no UTC offset'],
    ['2026-11-20T10:00:00.5', 'has no UTC offset'],
    ['2026-11-20', 'has no time and no UTC offset'],
    ['2026-13-01T00:00:00Z', 'invalid month 13'],
    ['2026-02-29T00:00:00Z', 'invalid day 29 for month 2'],
    ['1900-02-29T00:00:00Z', 'invalid day 29'],
    ['2026-04-31T00:00:00Z', 'invalid day 31'],
    ['2026-01-00T00:00:00Z', 'invalid day 0'],
    ['2026-01-01T24:00:00Z', 'invalid hour 24'],
    ['2026-01-01T23:60:00Z', 'invalid minute 60'],
    ['2026-01-01T23:59:60Z', 'invalid second 60'],
    ['2026-01-01T00:00:00+24:00', 'invalid UTC offset +24:00'],
    ['2026-01-01T00:00:00+01:60', 'invalid UTC offset'],
    ['2026-01-01T00:00:00.Z', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00Zjunk', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00+1', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00+01:0', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00+01x00', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00+ab:00', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:00+01ab', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:0', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00:00:0Z', 'is not an ISO-8601 date-time'],
    ['2026-01-01X00:00:00Z', 'is not an ISO-8601 date-time'],
    ['2026-01-01T0a:00:00Z', 'is not an ISO-8601 date-time'],
    ['2026-01-01T00-00:00Z', 'is not an ISO-8601 date-time'],
    ['26-01-01T00:00:00Z', 'is not an ISO-8601 date-time'],
    ['2026/01/01T00:00:00Z', 'is not an ISO-8601 date-time'],
    ['yesterday', 'is not an ISO-8601 date-time'],
    ['1700000000000', 'is a string; epoch milliseconds must be a number'],
    ['x'.repeat(100), '…'],
    [1.5, '1.5 is not a whole number of epoch milliseconds'],
    [Number.NaN, 'must be a finite number'],
    [Number.POSITIVE_INFINITY, 'must be a finite number'],
    [9e15, 'outside the representable range'],
    [true, 'got boolean true'],
    [null, 'got null'],
    [{}, 'got an object'],
    [[], 'got an array'],
  ])('rejects %j', (input, reason) => {
    const result = parseTime(input);
    expect(typeof result).toBe('string');
    expect(result).toContain(reason);
  });

  it('accepts a string of digits only when asked (query parameters)', () => {
    expect(parseTime('1700000000000', { acceptDigitString: true })).toBe(1_700_000_000_000);
    expect(parseTime('-60000', { acceptDigitString: true })).toBe(-60_000);
    expect(parseTime('2026-11-23T10:00:00Z', { acceptDigitString: true })).toBe(Date.UTC(2026, 10, 23, 10));
    expect(parseTime('99999999999999999', { acceptDigitString: true })).toContain('is a string');
  });
});
