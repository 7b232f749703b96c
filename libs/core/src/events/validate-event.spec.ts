import { describe, expect, it } from 'vitest';
import { parseViews } from '../views/parse-views';
import { createEventValidator, parseEvent } from './parse-event';
import { metricFieldsByType, validateEvent } from './validate-event';

const views = parseViews(
  `views:
  - name: payments_by_country
    eventTypes: [payment]
    granularity: minute
    dimensions: [country]
    metrics:
      - { name: payments, kind: count }
      - { name: revenue, kind: sum, field: amount }
      - { name: buyers, kind: distinct, field: user_id }
  - name: refunds
    eventTypes: [payment, refund]
    granularity: hour
    metrics:
      - { name: largest, kind: max, field: amount }
      - { name: slowest, kind: max, field: latency }
`,
  'test.yaml',
);
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);
const validator = createEventValidator(views, { maxFutureSkewMs: 86_400_000 });
const base = { id: 'e1', type: 'payment', ts: '2026-11-23T09:59:00Z' };

describe('validateEvent: valid events', () => {
  it.each([
    [{ ...base }, { id: 'e1', type: 'payment', ts: Date.UTC(2026, 10, 23, 9, 59), attrs: {} }],
    [
      { ...base, ts: 1_700_000_000_000, country: 'DE', amount: 12.5, user_id: 7, vip: true, note: null },
      { id: 'e1', type: 'payment', ts: 1_700_000_000_000, attrs: { country: 'DE', amount: 12.5, user_id: 7, vip: true, note: null } },
    ],
    [{ ...base, amount: null }, { attrs: { amount: null } }],
    [{ ...base, amount: undefined }, { attrs: {} }],
    [{ ...base, type: 'click', amount: 'twelve', latency: 'slow' }, { attrs: { amount: 'twelve', latency: 'slow' } }],
    [{ ...base, type: 'refund', amount: -3, user_id: 'u' }, { attrs: { amount: -3, user_id: 'u' } }],
    [{ ...base, id: 'x'.repeat(128), type: 't'.repeat(64) }, { id: 'x'.repeat(128) }],
    [{ ...base, id: '😀'.repeat(128) }, { id: '😀'.repeat(128) }],
    [{ ...base, ts: '2026-11-24T09:59:00Z' }, { ts: Date.UTC(2026, 10, 24, 9, 59) }],
    [{ ...base, ts: '1999-01-01T00:00:00Z' }, { ts: Date.UTC(1999, 0, 1) }],
  ])('%j', (raw, expected) => {
    const result = validator.validate(raw, NOW);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.event).toMatchObject(expected);
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const result = validator.parse('{"id":"a","type":"x","ts":0,"__proto__":"p"}', NOW);
    expect(result.ok && Object.keys(result.event.attrs)).toEqual(['__proto__']);
    expect(result.ok && Object.getPrototypeOf(result.event.attrs)).toBe(Object.prototype);
  });
});

describe('validateEvent: invalid events, with reasons that say what to fix', () => {
  it.each([
    ['an array', [], 'event must be a JSON object with id, type and ts (got an array)'],
    ['a string', 'hello', 'event must be a JSON object with id, type and ts (got string "hello")'],
    ['null', null, 'got null'],
    ['no id', { type: 'payment', ts: 0 }, 'id: is required (a string of 1 to 128 characters)'],
    ['numeric id', { ...base, id: 12 }, 'id: must be a string of 1 to 128 characters (got number 12)'],
    ['empty id', { ...base, id: '' }, 'id: must not be empty (1 to 128 characters)'],
    ['long id', { ...base, id: 'x'.repeat(129) }, 'id: is 129 characters long; at most 128 are allowed'],
    ['no type', { id: 'a', ts: 0 }, 'type: is required (a string of 1 to 64 characters)'],
    ['long type', { ...base, type: 'y'.repeat(65) }, 'type: is 65 characters long; at most 64 are allowed'],
    ['no ts', { id: 'a', type: 'x' }, 'ts: is required (ISO-8601 with offset, e.g. 2026-11-23T10:15:30.123Z, or epoch milliseconds)'],
    ['ts without offset', { ...base, ts: '2026-11-20T10:00:00' }, 'ts: "2026-11-20T10:00:00" has no UTC offset; add Z or ±hh:mm'],
    ['ts as digits', { ...base, ts: '1700000000000' }, 'ts: "1700000000000" is a string; epoch milliseconds must be a number'],
    ['ts fractional', { ...base, ts: 1.5 }, 'ts: 1.5 is not a whole number of epoch milliseconds'],
    ['ts too far ahead', { ...base, ts: NOW + 86_400_001 }, 'ts: 2026-11-24T10:00:00.001Z is 86400001 ms ahead of the time it was received (2026-11-23T10:00:00.000Z); at most 86400000 ms is allowed'],
    ['object attribute', { ...base, meta: { a: 1 } }, 'meta: attributes must be a string, number, boolean or null (got an object); flatten it'],
    ['array attribute', { ...base, tags: ['a'] }, 'tags: attributes must be a string, number, boolean or null (got an array)'],
    ['odd attribute name', { ...base, 'a b': [] }, '"a b": attributes must be'],
    ['NaN attribute', { ...base, x: Number.NaN }, 'x: must be a finite number (got NaN)'],
    ['string amount', { ...base, amount: '12' }, 'amount: must be a finite number or null, because view "payments_by_country" computes sum of it for "payment" events (got string "12")'],
    ['boolean amount', { ...base, amount: true }, 'amount: must be a finite number or null'],
    ['string latency on refund', { ...base, type: 'refund', latency: 'slow' }, 'latency: must be a finite number or null, because view "refunds" computes max of it for "refund" events'],
  ])('%s', (_, raw, reason) => {
    const result = validateEvent(raw, { receivedAt: NOW, maxFutureSkewMs: 86_400_000, metricFieldsByType: metricFieldsByType(views) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('lists every problem at once', () => {
    const result = validator.validate({ id: 1, ts: 'soon', amount: '1', meta: {} }, NOW);
    expect(result).toEqual({
      ok: false,
      reason:
        'id: must be a string of 1 to 128 characters (got number 1); type: is required (a string of 1 to 64 characters); ' +
        'ts: "soon" is not an ISO-8601 date-time with offset (e.g. 2026-11-23T10:15:30.123Z) nor epoch milliseconds; ' +
        'meta: attributes must be a string, number, boolean or null (got an object); flatten it',
    });
  });

  it('checks no metric field without metricFieldsByType', () => {
    expect(validateEvent({ ...base, amount: '12' }, { receivedAt: NOW, maxFutureSkewMs: 0 }).ok).toBe(true);
  });

  it('uses the default future skew of one day', () => {
    const v = createEventValidator(views);
    expect(v.validate({ ...base, ts: NOW + 86_400_000 }, NOW).ok).toBe(true);
    expect(v.validate({ ...base, ts: NOW + 86_400_001 }, NOW).ok).toBe(false);
  });
});

describe('metricFieldsByType', () => {
  it('lists each numeric field once per type, naming the first view that needs it', () => {
    const byType = metricFieldsByType(views);
    expect(byType.get('payment')).toEqual([
      { field: 'amount', view: 'payments_by_country', kind: 'sum' },
      { field: 'latency', view: 'refunds', kind: 'max' },
    ]);
    expect(byType.get('refund')).toEqual([
      { field: 'amount', view: 'refunds', kind: 'max' },
      { field: 'latency', view: 'refunds', kind: 'max' },
    ]);
    expect(byType.get('click')).toBeUndefined();
  });
});

describe('parseEvent', () => {
  const ctx = { receivedAt: NOW, maxFutureSkewMs: 1000 };
  it('parses and validates', () => {
    expect(parseEvent('{"id":"a","type":"t","ts":5,"k":"v"}', ctx)).toEqual({ ok: true, event: { id: 'a', type: 't', ts: 5, attrs: { k: 'v' } } });
  });
  it('reports malformed JSON clearly', () => {
    const result = parseEvent('{"id":"a",', ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^malformed JSON: .+; an event must be one JSON object$/);
  });
  it('reads UTF-8 bytes and refuses invalid UTF-8', () => {
    const bytes = new TextEncoder().encode('\ufeff{"id":"é","type":"t","ts":5}');
    expect(parseEvent(bytes, ctx)).toEqual({ ok: true, event: { id: 'é', type: 't', ts: 5, attrs: {} } });
    expect(parseEvent(new Uint8Array([0x7b, 0xff, 0x7d]), ctx)).toEqual({ ok: false, reason: 'the message is not valid UTF-8; events must be UTF-8 JSON' });
  });

  it('reports a JSON value that is not an object', () => {
    expect(parseEvent('[1]', ctx)).toEqual({ ok: false, reason: 'event must be a JSON object with id, type and ts (got an array)' });
  });
});
