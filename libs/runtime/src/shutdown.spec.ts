import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { installShutdown } from './shutdown';

describe('installShutdown', () => {
  it('closes newest first, once, and keeps going past a failing closer', async () => {
    const order: string[] = [];
    const shutdown = installShutdown({ logger: createLogger({ app: 'test', level: 'silent' }), signals: [] });
    shutdown.add({ name: 'a', close: () => void order.push('a') });
    shutdown.add({ name: 'b', close: () => Promise.reject(new Error('boom')) });
    shutdown.add({ name: 'c', close: async () => void order.push('c') });
    await Promise.all([shutdown.close('test'), shutdown.close('again')]);
    expect(order).toEqual(['c', 'a']);
  });
});
