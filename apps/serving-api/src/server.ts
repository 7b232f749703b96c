import { loadServingApiConfig } from '@tributary/config';
import { createLogger, installShutdown } from '@tributary/runtime';
import { buildApp } from './app';

const config = loadServingApiConfig();
const logger = createLogger({ app: 'serving-api', level: config.LOG_LEVEL });
const shutdown = installShutdown({ logger });

const app = await buildApp({ config, logger });
shutdown.add({ name: 'http', close: () => app.close() });
await app.listen({ port: config.PORT, host: config.HOST });
