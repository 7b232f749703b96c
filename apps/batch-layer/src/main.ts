import { loadBatchLayerConfig, loadViewsFile } from '@tributary/config';
import { createLogger, installShutdown } from '@tributary/runtime';
import { startBatchLayer } from './batch-layer';

const config = loadBatchLayerConfig();
const logger = createLogger({ app: 'batch-layer', level: config.LOG_LEVEL });
const views = loadViewsFile(config.VIEWS_FILE);
const shutdown = installShutdown({ logger });

const { port } = await startBatchLayer({ config, views, logger, shutdown });
logger.info({ topic: config.EVENTS_TOPIC, lakeDir: config.LAKE_DIR, intervalMs: config.BATCH_INTERVAL_MS, port }, 'batch layer started');
