import { createBatchViewReader } from '@tributary/adapter-duckdb';
import { createIdempotentProducer, createKafkaClient, ensureTopic } from '@tributary/adapter-kafka';
import { createRecomputeQueue } from '@tributary/adapter-queue';
import { createRedisSpeedStore, createSpeedKeys, createSpeedReader } from '@tributary/adapter-redis';
import type { ServingApiConfig } from '@tributary/config';
import type { Logger } from '@tributary/runtime';
import { Redis } from 'ioredis';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { ServingPorts } from './ports';
import { createConsumerLag } from './services/consumer-lag';

export interface OpenedPorts {
  ports: ServingPorts;
  /** Closes every client, in reverse order of opening. */
  close(): Promise<void>;
}

/** Connects the serving API's ports to the real things: Redis, Kafka, DuckDB over the lake, BullMQ. */
export async function createServingPorts(config: ServingApiConfig, logger: Logger): Promise<OpenedPorts> {
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const topic = config.EVENTS_TOPIC;
    await mkdir(config.LAKE_DIR, { recursive: true });

    // Queries fail fast when Redis is down (a 500 now beats a request hanging until Redis returns).
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
    await redis.connect();
    closers.push(() => void redis.disconnect());
    const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(config.REDIS_KEY_PREFIX), topic, dedupWindowMs: config.DEDUP_WINDOW_MS });

    const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'tributary-serving-api', logger: logger.child({ component: 'kafka' }) });
    const admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    await ensureTopic(admin, topic, config.EVENTS_PARTITIONS);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    closers.push(() => producer.disconnect());

    const batch = await createBatchViewReader({ lakeDir: config.LAKE_DIR });
    closers.push(() => batch.close());

    // BullMQ wants a connection that never gives up on a command.
    const queueRedis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
    await queueRedis.connect();
    closers.push(() => void queueRedis.disconnect());
    const queue = createRecomputeQueue({ connection: queueRedis, prefix: config.REDIS_KEY_PREFIX });
    closers.push(() => queue.close());

    // What changes with every applied Kafka batch, cut or rebuild: the speed half is reused until then.
    const snapshot = async (): Promise<string> => {
      const replies = await redis.multi().get(store.keys.marker).get(store.keys.generation).hgetall(store.keys.offsets(topic)).exec();
      if (!replies) throw new Error('the speed snapshot transaction was aborted');
      for (const [err] of replies) if (err) throw err;
      const offsets = (replies[2]?.[1] ?? {}) as Record<string, string>;
      return JSON.stringify([replies[0]?.[1], replies[1]?.[1], Object.entries(offsets).sort(([a], [b]) => Number(a) - Number(b))]);
    };

    // The query path: pointer + snapshot in one Lua call, and bucket hashes re-read only when they changed.
    const reader = createSpeedReader({ redis, keys: store.keys, topic });

    const ports: ServingPorts = {
      speed: {
        readPointer: () => store.readPointer(),
        readStates: (view, range) => store.readStates(view, range),
        snapshot,
        readServingState: () => reader.readServingState(),
        readStateParts: (view, range) => reader.readStateParts(view, range),
      },
      batch,
      lag: createConsumerLag({ highWatermarks: () => admin.fetchTopicOffsets(topic), storedOffsets: () => store.offsets() }),
      runs: {
        request: (views) => queue.requestRun(views === undefined ? { reason: 'api' } : { views: [...views], reason: 'api' }),
        get: (id) => queue.getRun(id),
        list: (limit) => queue.listRuns(limit),
      },
      events: {
        async send(messages) {
          // Retried until Kafka takes them; the route answers 503 if that takes too long.
          await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value })) });
        },
      },
      readiness: [
        { name: 'redis', check: async () => void (await redis.ping()) },
        { name: 'kafka', check: async () => void (await admin.describeCluster()) },
        { name: 'lake', check: () => access(config.LAKE_DIR, constants.R_OK | constants.W_OK) },
      ],
    };
    return { ports, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
