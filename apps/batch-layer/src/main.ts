import { loadBatchLayerConfig } from '@tributary/config';
import { createLogger, createOpsServer, installShutdown } from '@tributary/runtime';

// Wiring only: config → adapters → core. The archiver and the recompute worker arrive with the
// batch-layer issue.
const config = loadBatchLayerConfig();
const logger = createLogger({ app: 'batch-layer', level: config.LOG_LEVEL });
const shutdown = installShutdown({ logger });

const ops = createOpsServer({ logger });
shutdown.add({ name: 'ops-server', close: () => ops.close() });
await ops.listen({ port: config.BATCH_LAYER_PORT, host: config.HOST });
logger.info({ lakeDir: config.LAKE_DIR, intervalMs: config.BATCH_INTERVAL_MS }, 'batch layer started');
