import { createKafkaClient, deadLetterTopic, type KafkaMessage } from '@tributary/adapter-kafka';
import { createRedisSpeedStore, createSpeedKeys, type SpeedStore } from '@tributary/adapter-redis';
import { loadViewsFile } from '@tributary/config';
import {
  aggregateEvents,
  floorBucket,
  type AvgState,
  type HyperLogLog,
  type NormalizedEvent,
  type ViewDefinition,
  type ViewRows,
} from '@tributary/core';
import { integrationEnv, seededRandom, uniqueName, waitFor } from '@tributary/testing';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const viewsFile = join(root, 'config/views.yaml');
export const views = loadViewsFile(viewsFile);

/** A speed-layer process started the way `npm start` starts it. */
export interface SpeedProcess {
  child: ChildProcess;
  output(): string;
}

/**
 * One isolated speed-layer world for a test: its own topic, Redis key prefix and lake folder, a
 * producer, the store's read port, and helpers to start and kill speed-layer processes.
 */
export async function createSpeedHarness(options: { redisUrl?: string; dedupWindowMs?: number } = {}) {
  const env = integrationEnv();
  const redisUrl = options.redisUrl ?? env.redisUrl;
  const topic = uniqueName('speed');
  const prefix = uniqueName('trb');
  const lakeDir = await mkdtemp(join(tmpdir(), 'tributary-speed-'));
  const kafka = createKafkaClient({ brokers: env.kafkaBrokers, clientId: 'speed-test' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }, { topic: deadLetterTopic(topic), numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Some tests restart Redis on purpose: the client reconnects; don't report the refusals.
  redis.on('error', () => undefined);
  const store: SpeedStore = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic, dedupWindowMs: options.dedupWindowMs ?? 3_600_000 });
  const processes: SpeedProcess[] = [];

  function start(): SpeedProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/speed-layer/src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        REDIS_URL: redisUrl,
        EVENTS_TOPIC: topic,
        REDIS_KEY_PREFIX: prefix,
        LAKE_DIR: lakeDir,
        VIEWS_FILE: viewsFile,
        SPEED_LAYER_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        KAFKA_SESSION_TIMEOUT_MS: '2000',
        DEDUP_WINDOW_MS: String(options.dedupWindowMs ?? 3_600_000),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    const proc = { child, output: () => log };
    processes.push(proc);
    return proc;
  }

  async function stop(proc: SpeedProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  async function produce(values: ReadonlyArray<string | Buffer | null>): Promise<void> {
    for (let i = 0; i < values.length; i += 1_000) {
      await producer.send({ topic, acks: -1, messages: values.slice(i, i + 1_000).map((value) => ({ value })) });
    }
  }

  /** Resolves when Redis' offsets equal the high watermark of every partition (lag 0). */
  async function caughtUp(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      async () => {
        const [offsets, stored] = await Promise.all([admin.fetchTopicOffsets(topic), store.offsets()]);
        return offsets.every((o) => o.high === '0' || stored[String(o.partition)] === o.high);
      },
      { timeoutMs, intervalMs: 100, description: `the speed layer to catch up on ${topic}:\n${processes.map((p) => p.output()).join('\n')}` },
    );
  }

  async function readDeadLetters(expected: number): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic(topic), fromBeginning: true });
    const received: KafkaMessage[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    try {
      await waitFor(() => received.length >= expected, { timeoutMs: 30_000, description: `${expected} dead letters` });
    } finally {
      await consumer.disconnect();
    }
    return received;
  }

  async function cleanup(): Promise<void> {
    await Promise.all(processes.map((p) => stop(p, 'SIGKILL')));
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic)] }).catch(() => undefined);
    await admin.disconnect();
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await rm(lakeDir, { recursive: true, force: true });
  }

  return { topic, prefix, lakeDir, kafka, admin, redis, store, start, stop, produce, caughtUp, readDeadLetters, cleanup };
}

/** Every valid event counted once: the oracle the speed layer must equal, per view. */
export function expectStoreEqualsOracle(view: ViewDefinition, actual: ViewRows, events: readonly NormalizedEvent[]): void {
  const unique = new Map<string, NormalizedEvent>();
  for (const event of events) if (!unique.has(event.id)) unique.set(event.id, event);
  const expected = aggregateEvents(view, unique.values());
  const describe = (rows: ViewRows) => [...rows].map((r) => JSON.stringify([r.bucket, r.dims])).sort();
  expect(describe(actual)).toEqual(describe(expected));
  for (const row of expected) {
    const got = actual.get(row.bucket, row.dims);
    view.metrics.forEach((metric, i) => {
      const want = row.states[i];
      const have = got?.states[i];
      const where = `${view.name} ${new Date(row.bucket).toISOString()} ${JSON.stringify(row.dims)} ${metric.name}`;
      switch (metric.kind) {
        case 'count':
        case 'min':
        case 'max':
          expect(have, where).toBe(want);
          break;
        case 'sum':
          expectClose(have as number | null, want as number | null, where);
          break;
        case 'avg':
          expect((have as AvgState).count, where).toBe((want as AvgState).count);
          expectClose((have as AvgState).sum, (want as AvgState).sum, where);
          break;
        case 'distinct':
          expect((have as HyperLogLog).toPacked(), where).toEqual((want as HyperLogLog).toPacked());
          break;
      }
    });
  }
}

function expectClose(have: number | null, want: number | null, where: string): void {
  if (want === null || have === null) {
    expect(have, where).toBe(want);
    return;
  }
  expect(Math.abs(have - want), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
}

/** All speed states of a view around `events` (every generation). */
export async function readAll(store: SpeedStore, view: ViewDefinition, events: readonly NormalizedEvent[]): Promise<ViewRows> {
  let min = Infinity;
  let max = -Infinity;
  for (const { ts } of events) {
    min = Math.min(min, ts);
    max = Math.max(max, ts);
  }
  const from = floorBucket(min, 'day') - 86_400_000;
  const to = floorBucket(max, 'day') + 2 * 86_400_000;
  return store.readStates(view, { fromBucket: from, toBucket: to, afterGeneration: 0 });
}

/** A seeded workload of valid events over the default views; `duplicateRate` of them re-use an id. */
export function workload(count: number, seed: number, duplicateRate = 0.05): NormalizedEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const now = Date.now();
  const events: NormalizedEvent[] = [];
  for (let i = 0; i < count; i++) {
    if (events.length > 0 && random() < duplicateRate) {
      events.push(pick(events));
      continue;
    }
    const ts = now - Math.floor(random() * 3 * 3_600_000) - (random() < 0.05 ? 3 * 86_400_000 : 0);
    const id = `e${seed}-${i}`;
    const r = random();
    if (r < 0.4) {
      events.push({
        id,
        type: 'payment',
        ts,
        attrs: { country: pick(['DE', 'FR', 'US', null]), method: pick(['card', 'sepa']), amount: random() < 0.1 ? null : Math.round(random() * 1e6) / 100, user_id: `u${Math.floor(random() * 300)}` },
      });
    } else if (r < 0.9) {
      events.push({ id, type: 'page_view', ts, attrs: { page: pick(['/', '/docs', '/pricing']), device: pick(['mobile', 'desktop']), user_id: `u${Math.floor(random() * 300)}`, duration_ms: Math.floor(random() * 10_000) } });
    } else {
      events.push({ id, type: 'signup', ts, attrs: { country: pick(['DE', 'FR']), plan: pick(['free', 'pro']) } });
    }
  }
  return events;
}

/** The wire form of an event (ts as ISO-8601 or epoch ms, alternately). */
export const wire = (event: NormalizedEvent, i: number): string =>
  JSON.stringify({ id: event.id, type: event.type, ts: i % 2 ? event.ts : new Date(event.ts).toISOString(), ...event.attrs });
