import type { FastifyPluginAsync } from 'fastify';

/** `GET /healthz`: the process is up. Readiness (`/readyz`) arrives with the serving-api issue. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
};
