import { aggregateEvents, normalizeQuery, queryRows, ViewRows, type NormalizedEvent, type ViewDefinition } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { FakeBatch, FakeSpeed, viewNamed } from '../testing/fake-ports';
import { coalesce, createMergedQuery } from './merged-query';

const T = Date.UTC(2026, 10, 23, 10, 0, 0);
const view = viewNamed('page_views');
const pv = (id: string, minute: number, page: string): NormalizedEvent => ({ id, type: 'page_view', ts: T + minute * 60_000, attrs: { page, device: 'mobile', user_id: id, duration_ms: minute } });
const query = normalizeQuery(view, { from: String(T), to: String(T + 3_600_000), granularity: 'hour', groupBy: 'page' }, T);
const oracle = (events: NormalizedEvent[]) => queryRows(view, query, aggregateEvents(view, events));

/** A speed source with a snapshot that moves whenever events are added (as Redis offsets do). */
class SnapshotSpeed extends FakeSpeed {
  version = 0;
  override add(generation: number, events: readonly NormalizedEvent[]): void {
    super.add(generation, events);
    this.version++;
  }
  async snapshot(): Promise<string> {
    return String(this.version);
  }
}

describe('createMergedQuery', () => {
  it('reuses both halves while nothing changed, and never serves a stale speed half', async () => {
    const speed = new SnapshotSpeed();
    const batch = new FakeBatch();
    const a = [pv('a', 1, '/'), pv('b', 2, '/docs')];
    batch.versions.set('v1', { events: a });
    speed.pointer = { version: 'v1', generation: 1, cut: {}, completedAt: 'x' };
    speed.add(2, [pv('c', 3, '/')]);
    const merged = createMergedQuery({ speed, batch });

    expect((await merged(view, query)).rows).toEqual(oracle([...a, pv('c', 3, '/')]));
    const reads = speed.reads;
    const again = await merged(view, query);
    expect(again.rows).toEqual(oracle([...a, pv('c', 3, '/')]));
    expect(speed.reads).toBe(reads); // reused: the snapshot did not move
    expect((await merged(view, query)).rows).toEqual(again.rows); // cached halves are not changed by merging

    speed.add(2, [pv('d', 4, '/pricing')]);
    expect((await merged(view, query)).rows).toEqual(oracle([...a, pv('c', 3, '/'), pv('d', 4, '/pricing')]));
    expect(speed.reads).toBe(reads + 1);
  });

  it('keys the speed half by the pointer generation too (a flip with unchanged offsets)', async () => {
    const speed = new SnapshotSpeed();
    const batch = new FakeBatch();
    const first = [pv('a', 1, '/')];
    const second = [pv('b', 2, '/')];
    speed.add(1, first);
    speed.add(2, second);
    const merged = createMergedQuery({ speed, batch });
    expect((await merged(view, query)).rows).toEqual(oracle([...first, ...second]));
    // Publish v1 covering generation 1: same snapshot, other generation → no double count.
    batch.versions.set('v1', { events: first });
    speed.pointer = { version: 'v1', generation: 1, cut: {}, completedAt: 'x' };
    expect((await merged(view, query)).rows).toEqual(oracle([...first, ...second]));
  });
});

/**
 * A speed source with the Redis reader's extras: one atomic serving-state read, and parts (one per
 * generation and minute) whose id moves only when the part's events change.
 */
class PartsSpeed extends SnapshotSpeed {
  stateReads = 0;
  readonly partIds = new Map<string, number>();
  rolledParts: string[] = [];
  override add(generation: number, events: readonly NormalizedEvent[]): void {
    super.add(generation, events);
    for (const e of events) {
      const key = `${generation}|${Math.floor(e.ts / 60_000)}`;
      this.partIds.set(key, (this.partIds.get(key) ?? 0) + 1);
    }
  }
  async readServingState() {
    this.stateReads++;
    return { pointer: this.pointer, snapshot: String(this.version), generation: Math.max(0, ...this.generations.keys()) };
  }
  async readStateParts(v: ViewDefinition, range: { fromBucket: number; toBucket: number; afterGeneration: number; throughGeneration: number }) {
    const parts: Array<{ id: string; rows: ViewRows }> = [];
    for (const [g, events] of this.generations) {
      if (g <= range.afterGeneration || g > range.throughGeneration) continue;
      const byMinute = new Map<number, NormalizedEvent[]>();
      for (const e of events) byMinute.set(Math.floor(e.ts / 60_000), [...(byMinute.get(Math.floor(e.ts / 60_000)) ?? []), e]);
      for (const [minute, list] of byMinute) {
        const id = `${g}|${minute}|${this.partIds.get(`${g}|${minute}`)}`;
        const rows = new SpyRows(v.dimensions.length, () => this.rolledParts.push(id));
        for (const row of aggregateEvents(v, list)) rows.set(row);
        parts.push({ id, rows });
      }
    }
    return parts;
  }
}

/** Rows that record when they are iterated (rolled up). */
class SpyRows extends ViewRows {
  constructor(
    dimensionCount: number,
    private readonly onIterate: () => void,
  ) {
    super(dimensionCount);
  }
  override values() {
    this.onIterate();
    return super.values();
  }
}

describe('createMergedQuery with serving state and parts', () => {
  it('equals the oracle, reuses the roll-up of unchanged parts, and never double counts after a flip', async () => {
    const speed = new PartsSpeed();
    const batch = new FakeBatch();
    const a = [pv('a', 1, '/'), pv('b', 2, '/docs'), pv('c', 2, '/')];
    speed.add(1, a);
    const merged = createMergedQuery({ speed, batch });
    expect((await merged(view, query)).rows).toEqual(oracle(a));
    expect(speed.rolledParts.sort()).toEqual(['1|' + (T / 60_000 + 1) + '|1', '1|' + (T / 60_000 + 2) + '|2'].sort());

    speed.rolledParts = [];
    const b = [pv('d', 2, '/pricing')];
    speed.add(1, b);
    expect((await merged(view, query)).rows).toEqual(oracle([...a, ...b]));
    expect(speed.rolledParts).toEqual(['1|' + (T / 60_000 + 2) + '|3']); // minute 1 came from the cache

    // Flip: v1 covers generation 1; generation 2 stays live.
    speed.rolledParts = [];
    const c = [pv('e', 3, '/')];
    speed.add(2, c);
    batch.versions.set('v1', { events: [...a, ...b] });
    speed.pointer = { version: 'v1', generation: 1, cut: {}, completedAt: 'x' };
    expect((await merged(view, query)).rows).toEqual(oracle([...a, ...b, ...c]));
    expect(speed.rolledParts).toEqual(['2|' + (T / 60_000 + 3) + '|1']);
    expect(speed.reads).toBe(0); // readStates is never used when parts are offered
  });
});

describe('coalesce', () => {
  it('shares one load among calls made while it runs, and never hands a caller an older load', async () => {
    let started = 0;
    const releases: Array<() => void> = [];
    const load = coalesce(
      () =>
        new Promise<number>((resolve) => {
          const n = ++started;
          releases.push(() => resolve(n));
        }),
    );
    const first = load();
    const second = load();
    const third = load();
    expect(started).toBe(1);
    releases[0]?.();
    expect(await first).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toBe(2); // second and third share the load that started after them
    releases[1]?.();
    expect(await second).toBe(2);
    expect(await third).toBe(2);
    const fourth = load();
    expect(started).toBe(3);
    releases[2]?.();
    expect(await fourth).toBe(3);
  });
});
