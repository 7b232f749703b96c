import { createKafkaClient, ensureTopic, partitionOffsets, type Kafka } from '@tributary/adapter-kafka';
import { listSegments, readSegment, lakePaths } from '@tributary/adapter-lake';
import { loadBatchLayerConfig, loadViewsFile } from '@tributary/config';
import { createLogger } from '@tributary/runtime';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBatchLayer } from '../src/batch-layer';

const ROOT = join(import.meta.dirname, '../../..');
export const VIEWS_FILE = join(ROOT, 'config/views.yaml');

/** A lake folder of its own for one test. */
export async function tempLake(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'test-lake-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts one of our apps (`apps/<app>/src/main.ts`) as a real process; its logs go to `logFile`. */
export async function startApp(app: 'batch-layer' | 'speed-layer', env: Record<string, string>, logFile: string): Promise<AppProcess> {
  await mkdir(join(logFile, '..'), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, `apps/${app}/src/main.ts`)], {
    cwd: ROOT,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopic(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

export async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await partitionOffsets(admin, topic);
    return new Map([...offsets].map(([p, { high }]) => [p, BigInt(high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Per partition: the segments on disk and every record's offset, in file order. */
export async function readArchive(lakeDir: string, topic: string, partitions: number) {
  const paths = lakePaths(lakeDir);
  const result = new Map<number, { segments: Array<{ first: bigint; last: bigint }>; offsets: bigint[]; values: Array<string | null> }>();
  for (let p = 0; p < partitions; p++) {
    const segments = await listSegments(paths, topic, p);
    const offsets: bigint[] = [];
    const values: Array<string | null> = [];
    for (const segment of segments) {
      for await (const record of readSegment(segment.path)) {
        offsets.push(BigInt(record.offset));
        values.push(record.value);
      }
    }
    result.set(p, { segments: segments.map((s) => s.range), offsets, values });
  }
  return result;
}

export const kafkaFor = (brokers: string[]) => createKafkaClient({ brokers, clientId: `test-${process.pid}` });

/** The environment of a batch-layer or speed-layer process in a test. */
export function appEnv(options: { brokers: string[]; redisUrl: string; topic: string; prefix: string; lakeDir: string; partitions: number }, extra: Record<string, string> = {}) {
  return {
    KAFKA_BROKERS: options.brokers.join(','),
    REDIS_URL: options.redisUrl,
    EVENTS_TOPIC: options.topic,
    EVENTS_PARTITIONS: String(options.partitions),
    REDIS_KEY_PREFIX: options.prefix,
    LAKE_DIR: options.lakeDir,
    VIEWS_FILE,
    BATCH_INTERVAL_MS: '0',
    BATCH_LAYER_PORT: '0',
    SPEED_LAYER_PORT: '0',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    BATCH_DROP_GRACE_MS: '0',
    ...extra,
  };
}

/** The batch layer started in this process (faster than a process; main.ts only adds signals). */
export async function startBatchLayerInProcess(env: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }> {
  const config = loadBatchLayerConfig(env);
  const logger = createLogger({ app: 'batch-layer', level: process.env['TEST_LOG_LEVEL'] ?? 'warn' });
  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  let closing: Promise<void> | undefined;
  const shutdown = {
    add: (closer: (typeof closers)[number]) => void closers.push(closer),
    close: (reason: string) => {
      closing ??= (async () => {
        logger.info({ reason }, 'shutting down');
        for (const closer of [...closers].reverse()) await closer.close();
      })();
      return closing;
    },
  };
  const { port } = await startBatchLayer({ config, views: loadViewsFile(config.VIEWS_FILE), logger, shutdown });
  return { port, stop: () => shutdown.close('test done') };
}

/** Removes what a test left in the shared Kafka and Redis: its topics and every key under its prefix. */
export async function cleanUp(options: { kafka: Kafka; topic: string; redisUrl: string; prefix: string }): Promise<void> {
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [options.topic, `${options.topic}.dlq`].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of redis.scanStream({ match: `${options.prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
