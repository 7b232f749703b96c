import { speedGroupId } from '../src/speed-layer';
import { waitFor } from '@tributary/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeedHarness, expectStoreEqualsOracle, readAll, views, wire, workload } from './speed-harness';

// Two speed-layer instances in one consumer group: a second one joins mid-stream (partitions move
// to it), then the first leaves mid-stream (they move back). Nothing is lost or doubled.
let h: Awaited<ReturnType<typeof createSpeedHarness>>;
beforeAll(async () => {
  h = await createSpeedHarness();
});
afterAll(async () => h.cleanup());

const members = async () => (await h.admin.describeGroups([speedGroupId(h.topic)])).groups[0]?.members.length ?? 0;

describe('speed layer: rebalance (real Kafka, real Redis)', () => {
  it('loses and doubles nothing when an instance joins and another leaves mid-stream', async () => {
    const events = workload(60_000, 37, 0.05);
    const values = events.map(wire);
    const chunk = 500;
    let produced = 0;
    const produceUntil = async (n: number) => {
      for (; produced < n; produced += chunk) await h.produce(values.slice(produced, produced + chunk));
    };

    const a = h.start();
    await produceUntil(15_000);
    const b = h.start();
    const joining = waitFor(async () => (await members()) === 2, { timeoutMs: 60_000, description: 'two members in the group' });
    await produceUntil(30_000);
    await joining;
    await produceUntil(40_000);
    expect(await h.stop(a, 'SIGTERM')).toBe(0);
    await produceUntil(values.length);

    await h.caughtUp();
    for (const view of views) expectStoreEqualsOracle(view, await readAll(h.store, view, events), events);
    expect(await h.stop(b, 'SIGTERM')).toBe(0);
  });
});
