import { aggregateEvents, parseViews, type NormalizedEvent, type ViewDefinition } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { buildApplyArgs } from './apply-args';
import { RegisterCache } from './register-cache';
import { createSpeedKeys } from './speed-keys';
import type { SpeedBatch } from './speed-store';

const view = parseViews(
  `views:
  - name: v
    eventTypes: [e]
    granularity: hour
    dimensions: [country]
    metrics:
      - { name: n, kind: count }
      - { name: users, kind: distinct, field: user }`,
  'test.yaml',
)[0] as ViewDefinition;
const keys = createSpeedKeys('t');
const T0 = Date.UTC(2026, 10, 23, 10);
const event = (i: number, user: string): NormalizedEvent => ({ id: `e${i}`, type: 'e', ts: T0, attrs: { country: 'DE', user } });
const batchOf = (events: NormalizedEvent[], first: number): SpeedBatch => ({
  partition: 0,
  first: String(first),
  next: String(first + events.length),
  generation: 1,
  ids: events.map((e) => ({ id: e.id, receivedAt: T0 })),
  views: [{ view, rows: aggregateEvents(view, events) }],
  now: T0,
});
const options = (cache: RegisterCache | undefined) => ({ keys, topic: 'events', dedupWindowMs: 0, cache });

/** The register fields of the single hash in `args` (layout: see apply-batch.lua). */
function registerFields(args: string[]): string[] {
  let a = 5;
  a += 1 + 2 * Number(args[a]); // watermarks
  a += 1; // no dedup groups (window 0)
  expect(args[a]).toBe('1'); // one hash
  a += 1 + 3;
  a += 1 + 3 * Number(args[a]); // scalar triples
  const n = Number(args[a]);
  return args.slice(a + 1, a + 1 + n);
}

describe('buildApplyArgs with the register cache', () => {
  it('sends every register while the cache has no epoch, and skips what it knows Redis holds once it has', () => {
    const cache = new RegisterCache(16);
    const users = ['a', 'b', 'c', 'd', 'e'];
    const first = buildApplyArgs(batchOf(users.map((u, i) => event(i, u)), 0), options(cache));
    expect(first.args.slice(0, 6)).toEqual(['', '1', '0', '0', '5', '0']); // no marker to fence, no watermarks
    const sent = registerFields(first.args);
    expect(sent).toHaveLength(5);
    expect(sent.every((f) => /^users\.\d+\|\["DE"\]$/.test(f))).toBe(true);

    // Redis answered "ok" with marker M.
    cache.epoch = 'M';
    first.pending?.commit();
    cache.watermarks.set('0', 5);

    const again = buildApplyArgs(batchOf([...users, 'f'].map((u, i) => event(10 + i, u)), 5), options(cache));
    expect(again.args.slice(0, 8)).toEqual(['M', '1', '0', '5', '11', '1', '0', '5']); // fenced by marker and watermark
    expect(registerFields(again.args)).toHaveLength(registerFields(buildApplyArgs(batchOf([event(99, 'f')], 0), options(undefined)).args).length);
    expect(again.pending?.skipped).toBe(5);
  });

  it('commits nothing from a batch built before a clear, and sends in full after it', () => {
    const cache = new RegisterCache(16);
    const events = ['a', 'b'].map((u, i) => event(i, u));
    const built = buildApplyArgs(batchOf(events, 0), options(cache));
    cache.clear();
    expect(built.pending?.version).not.toBe(cache.version);
    expect(registerFields(buildApplyArgs(batchOf(events, 0), options(cache)).args)).toHaveLength(2);
  });

  it('keeps at most maxEntries (hash, metric, group) entries, dropping the oldest; 0 turns it off', () => {
    const cache = new RegisterCache(2);
    const first = cache.ranksOf('x');
    first[3] = 7;
    cache.ranksOf('y');
    cache.ranksOf('z');
    expect(cache.size).toBe(2);
    expect(cache.ranksOf('x')[3]).toBe(0); // x was dropped: nothing is known about it any more

    const off = new RegisterCache(0);
    const built = buildApplyArgs(batchOf([event(1, 'a')], 0), options(off));
    expect(built.pending).toBeUndefined();
    expect(registerFields(built.args)).toHaveLength(1);
  });
});
