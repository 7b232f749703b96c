import { createDeadLetterSink, createIdempotentProducer, createKafkaClient, deadLetterTopic, ensureTopic } from '@tributary/adapter-kafka';
import { claimLakeForCluster, lakePaths } from '@tributary/adapter-lake';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import type { SpeedLayerConfig } from '@tributary/config';
import { createEventValidator, createViewAggregator, type ViewDefinition } from '@tributary/core';
import { createOpsServer, type Logger, type Shutdown } from '@tributary/runtime';
import { Redis } from 'ioredis';
import { createSpeedConsumer } from './speed-consumer';
import { createSpeedMetrics } from './speed-metrics';
import { ensureSpeedStore, type RecoveryDeps } from './store-recovery';

/** The consumer group of the speed layer on a topic. */
export const speedGroupId = (topic: string) => `tributary-speed-layer.${topic}`;

/**
 * Assembles the speed layer from its parts and starts it: topics, Redis store (rebuilt from the
 * lake when missing), the consumer, and the operations server. Everything it opens is registered
 * with `shutdown`, which closes the consumer first so the in-flight batch completes.
 */
export async function startSpeedLayer(options: {
  config: SpeedLayerConfig;
  views: readonly ViewDefinition[];
  logger: Logger;
  shutdown: Shutdown;
}): Promise<{ port: number }> {
  const { config, views, logger, shutdown } = options;
  const topic = config.EVENTS_TOPIC;
  const metrics = createSpeedMetrics();

  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  shutdown.add({ name: 'redis', close: () => void redis.disconnect() });

  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'tributary-speed-layer', logger: logger.child({ component: 'kafka' }) });
  const admin = kafka.admin();
  await admin.connect();
  shutdown.add({ name: 'kafka-admin', close: () => admin.disconnect() });
  await ensureTopic(admin, topic, config.EVENTS_PARTITIONS);
  await ensureTopic(admin, deadLetterTopic(topic), config.EVENTS_PARTITIONS);
  // The lake's cuts and segments are offsets of one Kafka cluster: refuse to rebuild from another's.
  await claimLakeForCluster(lakePaths(config.LAKE_DIR), (await admin.describeCluster()).clusterId);

  // Dead letters are never given up on: the batch that holds them waits until Kafka takes them.
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  shutdown.add({ name: 'kafka-producer', close: () => producer.disconnect() });

  const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(config.REDIS_KEY_PREFIX), topic, dedupWindowMs: config.DEDUP_WINDOW_MS });
  const validator = createEventValidator(views, { maxFutureSkewMs: config.MAX_FUTURE_SKEW_MS });
  const recovery: RecoveryDeps = {
    store,
    admin,
    topic,
    groupId: speedGroupId(topic),
    paths: lakePaths(config.LAKE_DIR),
    validator,
    dedupWindowMs: config.DEDUP_WINDOW_MS,
    metrics,
    logger,
  };
  await ensureSpeedStore(recovery, 'start');

  const ops = createOpsServer({
    logger,
    metrics: metrics.registry,
    checks: [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'kafka', check: async () => void (await admin.describeCluster()) },
    ],
  });
  await ops.listen({ port: config.SPEED_LAYER_PORT, host: config.HOST });
  shutdown.add({ name: 'ops-server', close: () => ops.close() });

  const consumer = createSpeedConsumer({
    kafka,
    topic,
    groupId: speedGroupId(topic),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    store,
    aggregators: views.map(createViewAggregator),
    validator,
    deadLetters: createDeadLetterSink(producer, topic),
    recover: (reason) => ensureSpeedStore(recovery, reason),
    metrics,
    logger,
  });
  consumer.consumer.on(consumer.consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) void shutdown.close('consumer crashed without restart').then(() => process.exit(1));
  });
  await consumer.start();
  shutdown.add({ name: 'kafka-consumer', close: () => consumer.stop() });

  const address = ops.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.SPEED_LAYER_PORT };
}
