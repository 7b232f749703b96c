import { loadServingApiConfig, loadViewsFile } from '@tributary/config';
import { createLogger, installShutdown } from '@tributary/runtime';
import { buildApp } from './app';
import { createServingPorts } from './create-ports';

const config = loadServingApiConfig();
const logger = createLogger({ app: 'serving-api', level: config.LOG_LEVEL });
const views = loadViewsFile(config.VIEWS_FILE);
const shutdown = installShutdown({ logger });

const opened = await createServingPorts(config, logger);
shutdown.add({ name: 'ports', close: () => opened.close() });
const app = await buildApp({ config, logger, views, ports: opened.ports });
shutdown.add({ name: 'http', close: () => app.close() });
const address = await app.listen({ port: config.PORT, host: config.HOST });
logger.info({ address, topic: config.EVENTS_TOPIC, lakeDir: config.LAKE_DIR, admin: config.ADMIN_TOKEN !== undefined }, 'serving API started');
