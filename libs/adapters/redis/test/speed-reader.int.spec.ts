import { aggregateEvents, mergeRowsInto, parseViews, ViewRows, type NormalizedEvent, type ViewDefinition } from '@tributary/core';
import { integrationEnv, uniqueName } from '@tributary/testing';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisSpeedStore, createSpeedKeys, createSpeedReader, type SpeedReader, type SpeedStatePart, type SpeedStore } from '../src/index';

const { redisUrl } = integrationEnv();
const redis = new Redis(redisUrl);
const views = parseViews(readFileSync(new URL('../../../../config/views.yaml', import.meta.url), 'utf8'), 'config/views.yaml');
const payments = views.find((v) => v.name === 'payments_by_country') as ViewDefinition;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const everything = { fromBucket: 0, toBucket: 8_000_000_000_000 };
const prefixes: string[] = [];

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const payment = (i: number, minute = i % 5): NormalizedEvent => ({
  id: `p${i}`,
  type: 'payment',
  ts: T0 + minute * 60_000 + i,
  attrs: { country: ['DE', 'FR', null][i % 3] ?? null, method: i % 2 ? 'card' : 'sepa', amount: i % 7 === 0 ? null : i * 0.25, user_id: `u${i % 11}` },
});

/** Rows as plain JSON (HLL registers packed), for equality checks. */
function plain(rows: Iterable<{ bucket: number; dims: readonly (string | null)[]; states: unknown[] }>) {
  const out: Record<string, unknown> = {};
  for (const row of rows) out[JSON.stringify([row.bucket, row.dims])] = row.states.map((s) => (s && typeof s === 'object' && 'toPacked' in s ? (s as { toPacked(): number[] }).toPacked() : s));
  return out;
}

const merged = (parts: readonly SpeedStatePart[]) => {
  const rows = new ViewRows(payments.dimensions.length);
  for (const part of parts) mergeRowsInto(payments, rows, part.rows);
  return rows;
};

let store: SpeedStore;
let reader: SpeedReader;
let next = 0;
async function apply(events: NormalizedEvent[], generation = 1) {
  const first = String(next);
  next += events.length;
  const reply = await store.applyBatch({ partition: 0, first, next: String(next), generation, ids: [], views: [{ view: payments, rows: aggregateEvents(payments, events) }], now: Date.now() });
  expect(reply.status).toBe('ok');
}

beforeEach(async () => {
  const prefix = uniqueName('reader');
  prefixes.push(prefix);
  next = 0;
  store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic: 'events', dedupWindowMs: 0 });
  reader = createSpeedReader({ redis, keys: createSpeedKeys(prefix), topic: 'events' });
  await store.initialize({ generation: 1, offsets: {}, marker: 'test' });
});

describe('speed reader (real Redis)', () => {
  it('reads the pointer and a snapshot that moves with every applied batch, in one call', async () => {
    const empty = await reader.readServingState();
    expect(empty).toMatchObject({ pointer: undefined, generation: 1 });
    await apply([payment(1)]);
    const after = await reader.readServingState();
    expect(after.snapshot).not.toBe(empty.snapshot);
    expect((await reader.readServingState()).snapshot).toBe(after.snapshot);
    const pointer = { version: 'v1', generation: 1, cut: { '0': '1' }, completedAt: '2026-11-23T10:00:00.000Z' };
    await store.writePointer(pointer);
    expect(await reader.readServingState()).toMatchObject({ pointer, snapshot: after.snapshot });
    await store.cut();
    expect(await reader.readServingState()).toMatchObject({ generation: 2 });
  });

  it('parts equal readStates, and only the hashes a batch touched get a new id', async () => {
    await apply(Array.from({ length: 40 }, (_, i) => payment(i)));
    await store.cut();
    await apply(Array.from({ length: 20 }, (_, i) => payment(100 + i)), 2);
    const range = { ...everything, afterGeneration: 0, throughGeneration: 2 };
    const first = await reader.readStateParts(payments, range);
    expect(first.length).toBe(10); // 5 buckets × 2 generations
    expect(plain(merged(first))).toEqual(plain(await store.readStates(payments, { ...everything, afterGeneration: 0 })));

    const again = await reader.readStateParts(payments, range);
    expect(again.map((p) => p.id)).toEqual(first.map((p) => p.id));
    expect(again.every((p, i) => p === first[i])).toBe(true); // decoded once, reused

    await apply([payment(200, 3)], 2); // one bucket of generation 2
    const later = await reader.readStateParts(payments, range);
    const changed = later.filter((p) => !first.some((f) => f.id === p.id));
    expect(changed.map((p) => [p.generation, p.bucket])).toEqual([[2, T0 + 3 * 60_000]]);
    expect(plain(merged(later))).toEqual(plain(await store.readStates(payments, { ...everything, afterGeneration: 0 })));

    // Generations after the pointer's only, and the range.
    const onlyTwo = await reader.readStateParts(payments, { fromBucket: T0 + 60_000, toBucket: T0 + 3 * 60_000, afterGeneration: 1, throughGeneration: 2 });
    expect(onlyTwo.map((p) => [p.generation, p.bucket]).sort()).toEqual([
      [2, T0 + 60_000],
      [2, T0 + 2 * 60_000],
    ]);
  });

  it('drops parts whose hash was deleted, and reads a rebuilt hash again', async () => {
    await apply(Array.from({ length: 10 }, (_, i) => payment(i, 0)));
    const range = { ...everything, afterGeneration: 0, throughGeneration: 1 };
    const [part] = await reader.readStateParts(payments, range);
    expect(part).toBeDefined();
    const keys = createSpeedKeys(prefixes[prefixes.length - 1]);
    await redis.del(keys.bucketStates(payments.name, 1, T0));
    expect(await reader.readStateParts(payments, range)).toEqual([]);
    await apply([payment(50, 0)]);
    const [rebuilt] = await reader.readStateParts(payments, range);
    expect(rebuilt?.id).not.toBe(part?.id);
    expect(plain(rebuilt?.rows ?? [])).toEqual(plain(aggregateEvents(payments, [payment(50, 0)])));
  });

  it('falls back to plain reads when Redis refuses DUMP', async () => {
    await apply(Array.from({ length: 10 }, (_, i) => payment(i)));
    const conn = new Redis(redisUrl);
    try {
      Object.assign(conn, { trbReadParts: () => Promise.reject(new Error("ERR unknown command 'DUMP'")) });
      const plainReader = createSpeedReader({ redis: conn, keys: createSpeedKeys(prefixes[prefixes.length - 1]), topic: 'events' });
      const range = { ...everything, afterGeneration: 0, throughGeneration: 1 };
      const first = await plainReader.readStateParts(payments, range);
      expect(plain(merged(first))).toEqual(plain(await store.readStates(payments, { ...everything, afterGeneration: 0 })));
      const again = await plainReader.readStateParts(payments, range);
      expect(again.some((p) => first.some((f) => f.id === p.id))).toBe(false); // never reused
    } finally {
      conn.disconnect();
    }
  });
});
