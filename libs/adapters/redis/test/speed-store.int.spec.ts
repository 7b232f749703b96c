import { aggregateEvents, createViewAggregator, parseViews, ViewRows, type NormalizedEvent, type ViewDefinition } from '@tributary/core';
import { integrationEnv, uniqueName } from '@tributary/testing';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisSpeedStore, createSpeedKeys, type SpeedBatch, type SpeedStore } from '../src/index';

const { redisUrl } = integrationEnv();
const redis = new Redis(redisUrl);
const views = parseViews(readFileSync(new URL('../../../../config/views.yaml', import.meta.url), 'utf8'), 'config/views.yaml');
const payments = views.find((v) => v.name === 'payments_by_country') as ViewDefinition;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const prefixes: string[] = [];

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

function payment(i: number, overrides: Partial<NormalizedEvent['attrs']> = {}): NormalizedEvent {
  return {
    id: `p${i}`,
    type: 'payment',
    ts: T0 + (i % 5) * 60_000 + i,
    attrs: { country: ['DE', 'FR', null][i % 3] ?? null, method: i % 2 ? 'card' : 'sepa', amount: i % 7 === 0 ? null : i * 0.1 + 0.05, user_id: `u${i % 11}`, ...overrides },
  };
}

function batchOf(events: NormalizedEvent[], partial: Partial<SpeedBatch> & Pick<SpeedBatch, 'first' | 'next' | 'generation'>): SpeedBatch {
  return {
    partition: 0,
    ids: events.map((e) => ({ id: e.id, receivedAt: T0 })),
    views: [{ view: payments, rows: aggregateEvents(payments, events) }],
    now: Date.now(),
    ...partial,
  };
}

/** Rows as plain JSON (states encoded), for equality checks that include HLL registers. */
function plain(view: ViewDefinition, rows: ViewRows) {
  const out: Record<string, unknown> = {};
  for (const row of rows) {
    out[JSON.stringify([row.bucket, row.dims])] = { bucket: row.bucket, dims: row.dims, states: row.states.map((s, i) => (view.metrics[i]?.kind === 'distinct' ? (s as { toPacked(): number[] }).toPacked() : s)) };
  }
  return out;
}

let store: SpeedStore;
beforeEach(async () => {
  const prefix = uniqueName('speed');
  prefixes.push(prefix);
  store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic: 'events', dedupWindowMs: 3_600_000 });
  expect(await store.isInitialized()).toBe(false);
  expect(await store.initialize({ generation: 1, offsets: {}, marker: 'test' })).toBe('initialized');
  expect(await store.initialize({ generation: 9, offsets: {}, marker: 'again' })).toBe('present');
});

const range = { fromBucket: T0 - 3_600_000, toBucket: T0 + 3_600_000, afterGeneration: 0 };

describe('Redis speed store (real Redis)', () => {
  it('applies a batch exactly: states read back equal the aggregation, HLL registers included', async () => {
    const events = Array.from({ length: 200 }, (_, i) => payment(i));
    expect(await store.applyBatch(batchOf(events, { first: '0', next: '200', generation: 1 }))).toEqual({ status: 'ok' });
    expect(await store.offsets()).toEqual({ '0': '200' });
    const read = await store.readStates(payments, range);
    expect(plain(payments, read)).toEqual(plain(payments, aggregateEvents(payments, events)));
  });

  it('fences a batch applied twice (stale offset) and writes nothing', async () => {
    const events = Array.from({ length: 10 }, (_, i) => payment(i));
    await store.applyBatch(batchOf(events, { first: '0', next: '10', generation: 1 }));
    const replay = batchOf(events, { first: '0', next: '10', generation: 1, ids: [] });
    expect(await store.applyBatch(replay)).toEqual({ status: 'stale', storedOffset: '10' });
    expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, events)));
  });

  it('reports ids already counted within the window and writes nothing', async () => {
    await store.applyBatch(batchOf([payment(1), payment(2)], { first: '0', next: '2', generation: 1 }));
    const again = batchOf([payment(2), payment(3)], { first: '2', next: '4', generation: 1, partition: 0 });
    expect(await store.applyBatch(again)).toEqual({ status: 'dup', ids: ['p2'] });
    expect(await store.offsets()).toEqual({ '0': '2' });
    // a copy received in the neighbouring slice is a duplicate too; one two slices away is not
    const neighbour = batchOf([payment(1)], { first: '2', next: '3', generation: 1, ids: [{ id: 'p1', receivedAt: T0 + 3_600_000 }] });
    expect(await store.applyBatch(neighbour)).toEqual({ status: 'dup', ids: ['p1'] });
    const far = batchOf([payment(1)], { first: '2', next: '3', generation: 1, ids: [{ id: 'p1', receivedAt: T0 + 3 * 3_600_000 }] });
    expect(await store.applyBatch(far)).toEqual({ status: 'ok' });
  });

  it('cuts: records offsets as the boundary of g, moves to g+1, and reads only later generations', async () => {
    const before = [payment(1), payment(2)];
    await store.applyBatch(batchOf(before, { first: '0', next: '2', generation: 1 }));
    expect(await store.cut()).toEqual({ generation: 1, offsets: { '0': '2' } });
    expect(await store.generation()).toBe(2);
    const after = [payment(3)];
    expect(await store.applyBatch(batchOf(after, { first: '2', next: '3', generation: 1 }))).toEqual({ status: 'gen', generation: 2 });
    expect(await store.applyBatch(batchOf(after, { first: '2', next: '3', generation: 2 }))).toEqual({ status: 'ok' });

    const newer = await store.readStates(payments, { ...range, afterGeneration: 1 });
    expect(plain(payments, newer)).toEqual(plain(payments, aggregateEvents(payments, after)));
    const all = await store.readStates(payments, range);
    expect(plain(payments, all)).toEqual(plain(payments, aggregateEvents(payments, [...before, ...after])));

    expect(await store.dropGenerations(1, [payments.name])).toBeGreaterThan(0);
    expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, after)));
  });

  it('says "lost" when the marker is gone, and writes nothing', async () => {
    await redis.del(store.keys.marker);
    expect(await store.applyBatch(batchOf([payment(1)], { first: '0', next: '1', generation: 1 }))).toEqual({ status: 'lost' });
    expect(await store.offsets()).toEqual({});
    await expect(store.cut()).rejects.toThrow(/lost the speed store/);
  });

  it('keeps sums exact across many increments and min/max across batches', async () => {
    const aggregator = createViewAggregator(payments);
    const all = new ViewRows(payments.dimensions.length);
    let offset = 0;
    for (let b = 0; b < 20; b++) {
      const events = Array.from({ length: 50 }, (_, i) => payment(b * 50 + i, { country: 'DE', method: 'card', amount: (b * 50 + i) / 3 }));
      aggregator.aggregate(events, all);
      expect(await store.applyBatch(batchOf(events, { first: String(offset), next: String(offset + 50), generation: 1 }))).toEqual({ status: 'ok' });
      offset += 50;
    }
    const read = await store.readStates(payments, range);
    for (const row of all) {
      const got = read.get(row.bucket, row.dims);
      expect(got?.states[0]).toBe(row.states[0]);
      expect(got?.states[1] as number).toBeCloseTo(row.states[1] as number, 9);
      expect(got?.states[2]).toBe(row.states[2]);
      expect(got?.states[3]).toBe(row.states[3]);
    }
  });

  describe('HyperLogLog register cache', () => {
    // Whole amounts: sums of two batches stay exact whichever way they are added.
    /** The same events again under new ids: every register they set is already in Redis. */
    const copies = (events: NormalizedEvent[], tag: string) => events.map((e) => ({ ...e, id: `${e.id}-${tag}` }));
    const dropStore = async (prefix: string) => {
      const found = await redis.keys(`${prefix}:*`);
      if (found.length > 0) await redis.del(...found);
    };

    it('skips registers Redis already holds, and reads back exact', async () => {
      const events = Array.from({ length: 200 }, (_, i) => payment(i, { amount: i }));
      expect(await store.applyBatch(batchOf(events, { first: '0', next: '200', generation: 1 }))).toEqual({ status: 'ok' });
      const first = store.registerCacheStats();
      expect(first.sent).toBeGreaterThan(0);
      expect(first.skipped).toBe(0);

      const again = copies(events, 'again');
      expect(await store.applyBatch(batchOf(again, { first: '200', next: '400', generation: 1 }))).toEqual({ status: 'ok' });
      const second = store.registerCacheStats();
      expect(second.skipped).toBe(first.sent);
      expect(second.sent).toBe(first.sent);
      expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, [...events, ...again])));
    });

    it('is fenced by the marker: after a rebuild at the same generation and offsets, no register is missed', async () => {
      const events = Array.from({ length: 200 }, (_, i) => payment(i, { amount: i }));
      expect(await store.applyBatch(batchOf(events, { first: '0', next: '200', generation: 1 }))).toEqual({ status: 'ok' });
      // Redis loses everything; another instance rebuilds it where this one left off.
      await dropStore(store.keys.prefix);
      expect(await store.initialize({ generation: 1, offsets: { '0': '200' }, marker: 'rebuilt' })).toBe('initialized');

      const again = copies(events, 'after-rebuild');
      expect(await store.applyBatch(batchOf(again, { first: '200', next: '400', generation: 1 }))).toEqual({ status: 'ok' });
      const stats = store.registerCacheStats();
      expect(stats.fences).toBe(1);
      expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, again)));
    });

    it('is fenced by the watermarks: a store whose offsets went back (same marker) gets every register', async () => {
      const events = Array.from({ length: 200 }, (_, i) => payment(i, { amount: i }));
      expect(await store.applyBatch(batchOf(events, { first: '0', next: '200', generation: 1 }))).toEqual({ status: 'ok' });
      // As if Redis came back from an older snapshot: same marker, the batch's writes gone.
      await dropStore(store.keys.prefix);
      expect(await store.initialize({ generation: 1, offsets: { '0': '0' }, marker: 'test' })).toBe('initialized');

      const replay = copies(events, 'replay');
      expect(await store.applyBatch(batchOf(replay, { first: '0', next: '200', generation: 1 }))).toEqual({ status: 'ok' });
      expect(store.registerCacheStats().fences).toBe(1);
      expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, replay)));
    });

    it('starts over after a generation change, and a second instance on the same store stays exact', async () => {
      const events = Array.from({ length: 120 }, (_, i) => payment(i, { amount: i }));
      const other = createRedisSpeedStore({ redis, keys: store.keys, topic: 'events', dedupWindowMs: 3_600_000 });
      expect(await store.applyBatch(batchOf(events, { first: '0', next: '120', generation: 1 }))).toEqual({ status: 'ok' });
      const fromOther = copies(events, 'other');
      expect(await other.applyBatch(batchOf(fromOther, { partition: 1, first: '0', next: '120', generation: 1 }))).toEqual({ status: 'ok' });
      await store.cut();
      const later = copies(events, 'later');
      expect(await store.applyBatch(batchOf(later, { first: '120', next: '240', generation: 1 }))).toEqual({ status: 'gen', generation: 2 });
      expect(await store.applyBatch(batchOf(later, { first: '120', next: '240', generation: 2 }))).toEqual({ status: 'ok' });
      expect(store.registerCacheStats().skipped).toBe(0);
      expect(plain(payments, await store.readStates(payments, { ...range, afterGeneration: 1 }))).toEqual(plain(payments, aggregateEvents(payments, later)));
      expect(plain(payments, await store.readStates(payments, range))).toEqual(plain(payments, aggregateEvents(payments, [...events, ...fromOther, ...later])));
    });

    it('can be turned off', async () => {
      const plainStore = createRedisSpeedStore({ redis, keys: store.keys, topic: 'events', dedupWindowMs: 3_600_000, registerCacheEntries: 0 });
      const events = Array.from({ length: 50 }, (_, i) => payment(i, { amount: i }));
      expect(await plainStore.applyBatch(batchOf(events, { first: '0', next: '50', generation: 1 }))).toEqual({ status: 'ok' });
      expect(await plainStore.applyBatch(batchOf(copies(events, 'x'), { first: '50', next: '100', generation: 1 }))).toEqual({ status: 'ok' });
      expect(plainStore.registerCacheStats()).toMatchObject({ skipped: 0, entries: 0 });
    });
  });
});
