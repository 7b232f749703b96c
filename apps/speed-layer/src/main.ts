import { loadSpeedLayerConfig, loadViewsFile } from '@tributary/config';
import { createLogger, installShutdown } from '@tributary/runtime';
import { startSpeedLayer } from './speed-layer';

const config = loadSpeedLayerConfig();
const logger = createLogger({ app: 'speed-layer', level: config.LOG_LEVEL });
const views = loadViewsFile(config.VIEWS_FILE);
const shutdown = installShutdown({ logger });

const { port } = await startSpeedLayer({ config, views, logger, shutdown });
logger.info({ topic: config.EVENTS_TOPIC, views: views.map((v) => v.name), port }, 'speed layer started');
