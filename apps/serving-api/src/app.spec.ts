import { describe, expect, it } from 'vitest';
import { loadServingApiConfig } from '@tributary/config';
import { createLogger } from '@tributary/runtime';
import { buildApp } from './app';

describe('serving API', () => {
  it('answers /healthz', async () => {
    const app = await buildApp({ config: loadServingApiConfig({}), logger: createLogger({ app: 't', level: 'silent' }) });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    await app.close();
  });
});
