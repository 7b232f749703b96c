import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { createOpsServer } from './ops-server';

const logger = createLogger({ app: 'test', level: 'silent' });

describe('createOpsServer', () => {
  it('answers /healthz', async () => {
    const app = createOpsServer({ logger });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the failing check', async () => {
    const app = createOpsServer({
      logger,
      checks: [
        { name: 'redis', check: async () => undefined },
        { name: 'kafka', check: async () => Promise.reject(new Error('broker down')) },
      ],
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'kafka', ok: false, error: 'broker down' },
      ],
    });
  });
});

describe('createOpsServer /metrics', () => {
  it('serves the registry as Prometheus text', async () => {
    const app = createOpsServer({
      logger,
      metrics: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'trb_up 1\n' },
    });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toBe('trb_up 1\n');
  });
});
