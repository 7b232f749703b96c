import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServingApiConfig } from '@tributary/config';
import { createEventValidator, type ViewDefinition } from '@tributary/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminGuard } from './plugins/admin-auth';
import { installErrorHandler } from './plugins/error-handler';
import { installMetrics } from './plugins/metrics';
import { installOpenApi } from './plugins/openapi';
import type { ServingPorts } from './ports';
import { batchRunRoutes } from './routes/batch-runs';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { viewRoutes } from './routes/views';

export interface AppOptions {
  config: Pick<ServingApiConfig, 'ADMIN_TOKEN' | 'MAX_FUTURE_SKEW_MS'>;
  logger: FastifyBaseLogger;
  views: readonly ViewDefinition[];
  ports: ServingPorts;
  /** The clock (default Date.now): query defaults and the "received" time of posted events. */
  now?: () => number;
}

/** Builds the serving API without listening, so tests can `inject` into it. */
export async function buildApp({ config, logger, views, ports, now = Date.now }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 1_048_576,
    // Unknown query parameters and body properties are errors (a typo must not be silently ignored).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  installMetrics(app);
  await installOpenApi(app);

  const guard = adminGuard(config.ADMIN_TOKEN);
  const validator = createEventValidator(views, { maxFutureSkewMs: config.MAX_FUTURE_SKEW_MS });
  await app.register(healthRoutes, { checks: ports.readiness });
  await app.register(viewRoutes, { views, ports, now });
  await app.register(batchRunRoutes, { views, runs: ports.runs, guard });
  await app.register(eventRoutes, { validator, sink: ports.events, guard, now });
  return app;
}
