import { createKafkaClient, ensureTopic } from '@tributary/adapter-kafka';
import { claimLakeForCluster, lakeExtras, lakePaths, readCurrentVersion } from '@tributary/adapter-lake';
import { createRecomputeQueue, createRecomputeWorker, startRecomputeSchedule } from '@tributary/adapter-queue';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import type { BatchLayerConfig } from '@tributary/config';
import { createEventValidator, type ViewDefinition } from '@tributary/core';
import { createOpsServer, type Logger, type Shutdown } from '@tributary/runtime';
import { Redis } from 'ioredis';
import { access, mkdir } from 'node:fs/promises';
import { createArchiver } from './archiver/archiver';
import { createBatchMetrics } from './batch-metrics';
import { createGenerationDropper } from './jobs/drop-generations';
import { normalizationKey } from './jobs/normalization';
import { createRecomputeRunner } from './jobs/recompute-job';

/** How long a run waits for the archiver to reach the cut before it fails (and is retried). */
const ARCHIVE_WAIT_MS = 120_000;

/**
 * Assembles the batch layer and starts it: the archiver (Kafka → raw segments), the BullMQ worker of
 * the `recompute` queue, the repeatable schedule, and the operations server. Everything is registered
 * with `shutdown` (newest closes first): the worker finishes or abandons its run, then the archiver
 * writes what it buffers.
 */
export async function startBatchLayer(options: {
  config: BatchLayerConfig;
  views: readonly ViewDefinition[];
  logger: Logger;
  shutdown: Shutdown;
}): Promise<{ port: number }> {
  const { config, views, logger, shutdown } = options;
  const topic = config.EVENTS_TOPIC;
  const paths = lakePaths(config.LAKE_DIR);
  const extras = lakeExtras(paths);
  const metrics = createBatchMetrics();
  await Promise.all([paths.inbox, paths.rawFiles, paths.rejected, paths.views, extras.tmp].map((dir) => mkdir(dir, { recursive: true })));

  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  shutdown.add({ name: 'redis', close: () => void redis.disconnect() });
  const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(config.REDIS_KEY_PREFIX), topic, dedupWindowMs: config.DEDUP_WINDOW_MS });

  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'tributary-batch-layer', logger: logger.child({ component: 'kafka' }) });
  const admin = kafka.admin();
  await admin.connect();
  shutdown.add({ name: 'kafka-admin', close: () => admin.disconnect() });
  await ensureTopic(admin, topic, config.EVENTS_PARTITIONS);
  // The lake's segments and cuts are offsets of one Kafka cluster: never archive another's into it.
  await claimLakeForCluster(paths, (await admin.describeCluster()).clusterId);

  // A crash between CURRENT.json and the Redis pointer leaves the pointer behind: repair it.
  const current = await readCurrentVersion(paths);
  const pointer = await store.readPointer();
  if (current && (await store.isInitialized()) && (pointer === undefined || pointer.generation < current.generation)) {
    await store.writePointer({ version: current.version, generation: current.generation, cut: current.cut, completedAt: current.completedAt });
    logger.warn({ version: current.version }, 'the Redis pointer was behind CURRENT.json: repaired');
  }

  const ops = createOpsServer({
    logger,
    metrics: metrics.registry,
    checks: [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'kafka', check: async () => void (await admin.describeCluster()) },
      { name: 'lake', check: () => access(paths.views) },
    ],
  });
  await ops.listen({ port: config.BATCH_LAYER_PORT, host: config.HOST });
  shutdown.add({ name: 'ops-server', close: () => ops.close() });

  const archiver = createArchiver({
    kafka,
    topic,
    paths,
    maxSegmentBytes: config.ARCHIVE_SEGMENT_MAX_BYTES,
    maxSegmentAgeMs: config.ARCHIVE_SEGMENT_MAX_AGE_MS,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    metrics,
    logger: logger.child({ component: 'archiver' }),
  });
  await archiver.start();
  shutdown.add({ name: 'archiver', close: () => archiver.stop() });

  const dropper = createGenerationDropper({ store, views: views.map((v) => v.name), graceMs: config.BATCH_DROP_GRACE_MS, logger });
  shutdown.add({ name: 'generation-dropper', close: () => dropper.close() });
  const runner = createRecomputeRunner({
    topic,
    paths,
    extras,
    views,
    validator: createEventValidator(views, { maxFutureSkewMs: config.MAX_FUTURE_SKEW_MS }),
    normalizationKey: normalizationKey(views, config.MAX_FUTURE_SKEW_MS),
    store,
    flushArchive: () => archiver.flush(),
    archiveWaitMs: ARCHIVE_WAIT_MS,
    keepVersions: config.BATCH_KEEP_VERSIONS,
    dropCovered: (generation) => dropper.drop(generation),
    metrics,
    logger: logger.child({ component: 'recompute' }),
  });
  const worker = await createRecomputeWorker({ connection: redis, prefix: config.REDIS_KEY_PREFIX, run: runner });
  worker.on('completed', () => metrics.runs.inc({ outcome: 'succeeded' }));
  worker.on('failed', (job, err) => {
    const final = job === undefined || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError' || err.name === 'BatchInputError';
    metrics.runs.inc({ outcome: final ? 'failed' : 'retrying' });
    logger.error({ err, run: job?.id, attempt: job?.attemptsMade }, final ? 'batch run failed: the current version keeps serving' : 'batch run attempt failed: retrying');
  });
  worker.on('error', (err) => logger.error({ err }, 'recompute worker error'));
  shutdown.add({ name: 'recompute-worker', close: () => worker.close() });

  const queue = createRecomputeQueue({ connection: redis, prefix: config.REDIS_KEY_PREFIX });
  shutdown.add({ name: 'recompute-queue', close: () => queue.close() });
  const schedule = await startRecomputeSchedule({ connection: redis, prefix: config.REDIS_KEY_PREFIX, intervalMs: config.BATCH_INTERVAL_MS, queue });
  shutdown.add({ name: 'recompute-schedule', close: () => schedule.close() });

  const address = ops.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.BATCH_LAYER_PORT };
}
