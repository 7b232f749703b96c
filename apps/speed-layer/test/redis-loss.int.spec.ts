import { startPrivateRedis, waitFor } from '@tributary/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeedHarness, expectStoreEqualsOracle, readAll, views, wire, workload } from './speed-harness';

// Redis is a cache: FLUSHALL, and later a restart without persistence, while events flow. The
// speed layer notices its marker is gone, rebuilds from the lake and Kafka, and ends exact.
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let h: Awaited<ReturnType<typeof createSpeedHarness>>;
beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await createSpeedHarness({ redisUrl: redis.url });
});
afterAll(async () => {
  await h.cleanup();
  await redis.stop();
});

describe('speed layer: Redis data loss (real Kafka, private real Redis)', () => {
  it('rebuilds after FLUSHALL and after a restart that lost everything, and ends exact', async () => {
    const events = workload(30_000, 41, 0.05);
    const values = events.map(wire);
    const proc = h.start();
    await h.produce(values.slice(0, 10_000));
    await h.caughtUp();

    await h.redis.flushall();
    await h.produce(values.slice(10_000, 20_000));
    await h.caughtUp();
    await waitFor(() => proc.output().includes('REDIS LOST THE SPEED STORE'), { description: 'the loss to be logged' });

    await redis.restart();
    await h.produce(values.slice(20_000));
    await h.caughtUp();

    for (const view of views) expectStoreEqualsOracle(view, await readAll(h.store, view, events), events);
    expect(proc.child.exitCode).toBeNull();
  });
});
