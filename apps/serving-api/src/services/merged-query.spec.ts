import { aggregateEvents, normalizeQuery, queryRows, type NormalizedEvent } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { FakeBatch, FakeSpeed, viewNamed } from '../testing/fake-ports';
import { createMergedQuery } from './merged-query';

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
