import { loadSpeedLayerConfig } from '@tributary/config';
import { createLogger, createOpsServer, installShutdown } from '@tributary/runtime';

// Wiring only: config → adapters → core. The consumer arrives with the speed-layer issue.
const config = loadSpeedLayerConfig();
const logger = createLogger({ app: 'speed-layer', level: config.LOG_LEVEL });
const shutdown = installShutdown({ logger });

const ops = createOpsServer({ logger });
shutdown.add({ name: 'ops-server', close: () => ops.close() });
await ops.listen({ port: config.SPEED_LAYER_PORT, host: config.HOST });
logger.info({ topic: config.EVENTS_TOPIC, brokers: config.kafkaBrokers }, 'speed layer started');
