import { aggregateEvents, createEventValidator, createViewAggregator, parseViews } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { aggregateBatch } from './aggregate-batch';
import { decodeBatch, type RawMessage } from './decode-batch';

const views = parseViews(
  `views:
  - name: pay
    eventTypes: [payment]
    granularity: minute
    dimensions: [country]
    metrics:
      - { name: n, kind: count }
      - { name: revenue, kind: sum, field: amount }`,
  'test.yaml',
);
const view = views[0] as (typeof views)[number];
const validator = createEventValidator(views, { maxFutureSkewMs: 60_000 });
const now = Date.UTC(2026, 10, 23, 10, 0, 0);
const message = (offset: number, value: string | null, headers?: RawMessage['headers']): RawMessage => ({
  offset: String(offset),
  timestamp: String(now),
  key: null,
  value: value === null ? null : Buffer.from(value),
  ...(headers ? { headers } : {}),
});

describe('decodeBatch', () => {
  it('keeps valid events with their receipt time and turns the rest into dead letters with reasons', () => {
    const { events, deadLetters } = decodeBatch(
      2,
      [
        message(10, JSON.stringify({ id: 'a', type: 'payment', ts: now, country: 'DE', amount: 5 })),
        message(11, '{not json', { trace: 'x' }),
        message(12, JSON.stringify({ type: 'payment', ts: now })),
        message(13, JSON.stringify({ id: 'b', type: 'payment', ts: now, amount: 'five' })),
        message(14, JSON.stringify({ id: 'c', type: 'payment', ts: now + 3_600_000 })),
        message(15, null),
      ],
      validator,
    );
    expect(events).toEqual([{ event: { id: 'a', type: 'payment', ts: now, attrs: { country: 'DE', amount: 5 } }, offset: '10', receivedAt: now }]);
    expect(deadLetters.map((d) => [d.sourceOffset, d.sourcePartition])).toEqual([
      ['11', 2],
      ['12', 2],
      ['13', 2],
      ['14', 2],
      ['15', 2],
    ]);
    expect(deadLetters[0]?.error).toMatch(/malformed JSON/);
    expect(deadLetters[0]?.headers).toEqual({ trace: 'x' });
    expect(deadLetters[0]?.value?.toString()).toBe('{not json');
    expect(deadLetters[1]?.error).toMatch(/id/);
    expect(deadLetters[2]?.error).toMatch(/amount/);
    expect(deadLetters[3]?.error).toMatch(/future|ahead/);
    expect(deadLetters[4]?.error).toMatch(/empty message/);
  });

  it('rejects a value that is not UTF-8 instead of repairing it, keeping the original bytes', () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"x","type":"payment","ts":1,"country":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const { events, deadLetters } = decodeBatch(0, [{ offset: '7', timestamp: String(now), key: null, value: bytes }], validator);
    expect(events).toEqual([]);
    expect(deadLetters[0]?.error).toMatch(/not valid UTF-8/);
    expect(deadLetters[0]?.value?.equals(bytes)).toBe(true);
  });
});

describe('aggregateBatch', () => {
  it('counts each id once and none of the excluded ids', () => {
    const at = (id: string, amount: number) => ({ event: { id, type: 'payment', ts: now, attrs: { country: 'DE', amount } }, offset: '0', receivedAt: now });
    const batch = [at('a', 1), at('b', 2), at('a', 1), at('c', 4)];
    const result = aggregateBatch([createViewAggregator(view)], batch, new Set(['c']));
    expect(result.ids.map((i) => i.id)).toEqual(['a', 'b']);
    expect(result.duplicates).toBe(2);
    expect(result.views[0]?.rows).toEqual(aggregateEvents(view, [at('a', 1).event, at('b', 2).event]));
  });
});
