/**
 * Deterministic demo events over the default views (config/views.yaml): payments and a
 * clickstream, with a few countries, methods, pages and devices. Pure: the caller supplies the
 * clock and the random source, so a seed reproduces a workload.
 */
export type DemoEvent = Record<string, string | number | boolean | null>;

const countries = ['DE', 'FR', 'US', 'GB', 'JP', 'BR'] as const;
const methods = ['card', 'paypal', 'sepa', 'apple_pay'] as const;
const pages = ['/', '/pricing', '/docs', '/blog', '/signup', '/checkout'] as const;
const devices = ['desktop', 'mobile', 'tablet'] as const;

export { seededRandom } from '@tributary/testing';

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

export function demoEvent(random: () => number, now: number, sequence: number, runId: string): DemoEvent {
  const id = `demo-${runId}-${sequence}`;
  const user = `u${Math.floor(random() * 5_000)}`;
  const r = random();
  if (r < 0.3) {
    return {
      id,
      type: 'payment',
      ts: new Date(now).toISOString(),
      country: pick(random, countries),
      method: pick(random, methods),
      amount: Math.round(random() * 20_000) / 100,
      user_id: user,
    };
  }
  if (r < 0.33) {
    return { id, type: 'signup', ts: now, country: pick(random, countries), plan: pick(random, ['free', 'pro', 'team']) };
  }
  return {
    id,
    type: 'page_view',
    ts: now,
    page: pick(random, pages),
    device: pick(random, devices),
    user_id: user,
    duration_ms: Math.floor(random() * 30_000),
  };
}
