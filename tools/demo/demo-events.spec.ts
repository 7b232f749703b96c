import { describe, expect, it } from 'vitest';
import { demoEvent, seededRandom } from './demo-events';

describe('demo events', () => {
  it('are reproducible from a seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const now = Date.UTC(2026, 10, 23, 10);
    for (let i = 0; i < 100; i++) expect(demoEvent(a, now, i, 'r')).toEqual(demoEvent(b, now, i, 'r'));
  });

  it('carry the required fields and a unique id', () => {
    const random = seededRandom(7);
    const events = Array.from({ length: 1_000 }, (_, i) => demoEvent(random, Date.now(), i, 'x'));
    expect(new Set(events.map((e) => e.id)).size).toBe(1_000);
    for (const e of events) {
      expect(typeof e.id).toBe('string');
      expect(['payment', 'page_view', 'signup']).toContain(e.type);
      expect(e.ts).toBeDefined();
    }
    expect(events.some((e) => e.type === 'payment')).toBe(true);
  });
});
