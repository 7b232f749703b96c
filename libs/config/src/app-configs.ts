import { envSchema, loadEnv, type Env } from './load-config';

const common = [
  'KAFKA_BROKERS',
  'EVENTS_TOPIC',
  'EVENTS_PARTITIONS',
  'KAFKA_SESSION_TIMEOUT_MS',
  'REDIS_KEY_PREFIX',
  'REDIS_URL',
  'LAKE_DIR',
  'VIEWS_FILE',
  'MAX_FUTURE_SKEW_MS',
  'DEDUP_WINDOW_MS',
  'HOST',
  'LOG_LEVEL',
] as const;

const speedLayerSchema = envSchema([...common, 'SPEED_LAYER_PORT']);
const batchLayerSchema = envSchema([
  ...common,
  'BATCH_INTERVAL_MS',
  'BATCH_LAYER_PORT',
  'ARCHIVE_SEGMENT_MAX_BYTES',
  'ARCHIVE_SEGMENT_MAX_AGE_MS',
  'BATCH_KEEP_VERSIONS',
  'BATCH_DROP_GRACE_MS',
]);
const servingApiSchema = envSchema([...common, 'PORT', 'ADMIN_TOKEN', 'BATCH_INTERVAL_MS']);

/** `KAFKA_BROKERS` split into a list, as every Kafka client wants it. */
const withBrokerList = <T extends { KAFKA_BROKERS: string }>(config: T) =>
  Object.freeze({ ...config, kafkaBrokers: Object.freeze(config.KAFKA_BROKERS.split(',')) });

export const loadSpeedLayerConfig = (env: Env = process.env) => withBrokerList(loadEnv(speedLayerSchema, env));
export const loadBatchLayerConfig = (env: Env = process.env) => withBrokerList(loadEnv(batchLayerSchema, env));
export const loadServingApiConfig = (env: Env = process.env) => withBrokerList(loadEnv(servingApiSchema, env));

export type SpeedLayerConfig = ReturnType<typeof loadSpeedLayerConfig>;
export type BatchLayerConfig = ReturnType<typeof loadBatchLayerConfig>;
export type ServingApiConfig = ReturnType<typeof loadServingApiConfig>;
