import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ServingApiConfig } from '@tributary/config';
import { healthRoutes } from './routes/health';

export type AppOptions = { config: ServingApiConfig; logger: FastifyBaseLogger };

/** Builds the serving API without listening, so tests can `inject` into it. */
export async function buildApp({ logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger });
  await app.register(healthRoutes);
  return app;
}
