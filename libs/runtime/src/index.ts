export { createLogger, type Logger } from './logger';
export { installShutdown, type Shutdown, type Closer } from './shutdown';
export { createOpsServer, type MetricsSource, type ReadinessCheck } from './ops-server';
