import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeedHarness, expectStoreEqualsOracle, readAll, views, wire, workload } from './speed-harness';

// Duplicates (same id within and across batches) count once; every kind of malformed message
// lands in the dead-letter topic with its original bytes, its reason and its source; every valid
// event still counts.
let h: Awaited<ReturnType<typeof createSpeedHarness>>;
beforeAll(async () => {
  h = await createSpeedHarness();
});
afterAll(async () => h.cleanup());

const now = Date.now();
const malformed: Array<{ value: string | null; reason: RegExp }> = [
  { value: '{"id":"m1","type":"payment"', reason: /malformed JSON/ },
  { value: JSON.stringify({ type: 'payment', ts: now }), reason: /id/ },
  { value: JSON.stringify({ id: 'm3', ts: now }), reason: /type/ },
  { value: JSON.stringify({ id: 'm4', type: 'payment', ts: '2026-11-20T10:00:00' }), reason: /offset/ },
  { value: JSON.stringify({ id: 'm5', type: 'payment', ts: now, amount: '12' }), reason: /amount/ },
  { value: JSON.stringify({ id: 'm6', type: 'payment', ts: now + 3 * 86_400_000 }), reason: /future|ahead/ },
  { value: JSON.stringify({ id: 'm7', type: 'payment', ts: now, nested: { a: 1 } }), reason: /nested/ },
  { value: JSON.stringify([1, 2]), reason: /object/ },
  { value: null, reason: /empty/ },
];

describe('speed layer: duplicates and dead letters (real Kafka, real Redis)', () => {
  it('counts each id once and dead-letters every malformed message with its reason', async () => {
    const events = workload(3_000, 11, 0.1);
    h.start();
    // First half, with copies inside the same batch; then the second half, which repeats ids of
    // the first half (copies across batches), interleaved with malformed messages.
    const half = 1_500;
    await h.produce(events.slice(0, half).map(wire));
    await h.caughtUp();
    const second = events.slice(half).map(wire);
    const mixed: Array<string | null> = [];
    second.forEach((v, i) => {
      mixed.push(v);
      const bad = malformed[i % 300 === 0 ? (i / 300) % malformed.length : -1];
      if (bad) mixed.push(bad.value);
    });
    for (const bad of malformed) if (!mixed.includes(bad.value)) mixed.push(bad.value);
    await h.produce([...mixed, ...events.slice(0, 200).map(wire)]);
    await h.caughtUp();

    for (const view of views) expectStoreEqualsOracle(view, await readAll(h.store, view, events), events);

    const letters = await h.readDeadLetters(malformed.length);
    expect(letters).toHaveLength(malformed.length);
    for (const bad of malformed) {
      const letter = letters.find((l) => (l.value === null ? bad.value === null : l.value.toString() === bad.value));
      expect(letter, `dead letter for ${bad.value}`).toBeDefined();
      expect(String(letter?.headers?.error)).toMatch(bad.reason);
      expect(Number(letter?.headers?.['source-partition'])).toBeGreaterThanOrEqual(0);
      expect(Number(letter?.headers?.['source-offset'])).toBeGreaterThanOrEqual(0);
    }
  });
});
