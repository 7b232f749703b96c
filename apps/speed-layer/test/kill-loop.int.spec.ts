import { waitFor } from '@tributary/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeedHarness, expectStoreEqualsOracle, readAll, views, wire, workload } from './speed-harness';

// Exactly once through crashes: the speed-layer process is SIGKILLed at random moments while it is
// applying batches and events keep flowing; afterwards Redis equals the oracle — nothing lost,
// nothing doubled. SPEED_KILLS sets the number of kills (20+ for a soak; fewer in `npm test`).
const kills = Number(process.env.SPEED_KILLS ?? 5);
let h: Awaited<ReturnType<typeof createSpeedHarness>>;
beforeAll(async () => {
  h = await createSpeedHarness();
});
afterAll(async () => h.cleanup());

const appliedSoFar = async () => Object.values(await h.store.offsets()).reduce((sum, o) => sum + Number(o), 0);

describe('speed layer: SIGKILL loop (real Kafka, real Redis)', () => {
  it(`ends exact after ${kills} kills at random moments`, async () => {
    const pool = workload(300_000, 29, 0.05);
    const values = pool.map(wire);
    let produced = 0;
    let stopProducing = false;
    const producing = (async () => {
      while (!stopProducing && produced < values.length) {
        const chunk = values.slice(produced, produced + 300);
        await h.produce(chunk);
        produced += chunk.length;
      }
    })();

    let killed = 0;
    while (killed < kills) {
      const proc = h.start();
      const before = await appliedSoFar();
      // Kill once this process is applying batches, at a random moment within the next 400 ms.
      await waitFor(async () => (await appliedSoFar()) > before, { timeoutMs: 60_000, description: `progress after start #${killed + 1}:\n${proc.output()}` });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 400));
      await h.stop(proc, 'SIGKILL');
      killed++;
    }
    stopProducing = true;
    await producing;

    h.start();
    await h.caughtUp(120_000);
    const events = pool.slice(0, produced);
    expect(await appliedSoFar()).toBe(produced);
    for (const view of views) expectStoreEqualsOracle(view, await readAll(h.store, view, events), events);
  }, 120_000 + kills * 45_000);
});
