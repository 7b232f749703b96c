import { openDuckDB } from '@tributary/adapter-duckdb';
import { createKafkaClient, deadLetterTopic } from '@tributary/adapter-kafka';
import { lakePaths, writeCurrentVersion } from '@tributary/adapter-lake';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import { loadServingApiConfig, loadViewsFile } from '@tributary/config';
import {
  aggregateEvents,
  normalizeQuery,
  type NormalizedEvent,
  queryRows,
  type QueryResultRow,
  quoteLiteral,
  readNormalizedJsonSql,
  toNormalizedRow,
  type ViewDefinition,
  viewStatesSql,
} from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import { integrationEnv, seededRandom, uniqueName, waitFor } from '@tributary/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { buildApp } from '../src/app';
import { createServingPorts, type OpenedPorts } from '../src/create-ports';

const root = resolve(import.meta.dirname, '../../..');
export const viewsFile = join(root, 'config/views.yaml');
export const views = loadViewsFile(viewsFile);
export const ADMIN_TOKEN = 'integration-admin-token-0123';
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * One isolated world: its own topic, Redis prefix and lake; the serving API built on the real ports
 * (Redis, Kafka, DuckDB, BullMQ); a real speed-layer process; helpers to publish a batch version the
 * way the batch layer does (Parquet from core's SQL, CURRENT.json, then the Redis pointer).
 */
export async function createServingHarness() {
  const env = integrationEnv();
  const topic = uniqueName('serving');
  const prefix = uniqueName('trb');
  const lakeDir = await mkdtemp(join(tmpdir(), 'tributary-serving-'));
  const kafka = createKafkaClient({ brokers: env.kafkaBrokers, clientId: 'serving-test' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }, { topic: deadLetterTopic(topic), numPartitions: 3 }], waitForLeaders: true });
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic, dedupWindowMs: 3_600_000 });
  const envVars = {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: topic,
    REDIS_KEY_PREFIX: prefix,
    LAKE_DIR: lakeDir,
    VIEWS_FILE: viewsFile,
    HOST: '127.0.0.1',
  };
  const config = loadServingApiConfig({ ...envVars, ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  const logger = createLogger({ app: 'serving-api-int', level: 'silent' });
  const opened: OpenedPorts = await createServingPorts(config, logger);
  const app: FastifyInstance = await buildApp({ config, logger, views, ports: opened.ports });
  const children: ChildProcess[] = [];
  let log = '';

  /** Starts `apps/<name>/src/main.ts` as `npm start` does, on this world's topic, prefix and lake. */
  function startProcess(name: 'speed-layer' | 'batch-layer', extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, `apps/${name}/src/main.ts`)], {
      cwd: root,
      env: { ...process.env, ...envVars, LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    children.push(child);
    return child;
  }
  const startSpeedLayer = () => startProcess('speed-layer', { SPEED_LAYER_PORT: '0' });
  const startBatchLayer = () =>
    startProcess('batch-layer', { BATCH_LAYER_PORT: '0', BATCH_INTERVAL_MS: '0', BATCH_DROP_GRACE_MS: '500', ARCHIVE_SEGMENT_MAX_AGE_MS: '500' });

  /** Waits until the speed layer has applied every message (Redis offsets = high watermarks). */
  async function caughtUp(): Promise<void> {
    await waitFor(
      async () => {
        const [offsets, stored] = await Promise.all([admin.fetchTopicOffsets(topic), store.offsets()]);
        return offsets.every((o) => o.high === '0' || stored[String(o.partition)] === o.high);
      },
      { timeoutMs: 90_000, intervalMs: 200, description: `the speed layer to catch up:\n${log}` },
    );
  }

  /**
   * Publishes a batch version covering `events` as the batch layer does: a cut (generation g and the
   * speed layer's offsets), one Parquet per view from core's SQL, CURRENT.json, then the pointer.
   */
  async function publishVersion(name: string, events: readonly NormalizedEvent[], options: { afterCut?: () => Promise<void> } = {}) {
    const cut = await store.cut();
    await options.afterCut?.();
    const dir = join(lakeDir, 'views', name);
    await mkdir(dir, { recursive: true });
    const input = join(lakeDir, `${name}.ndjson`);
    await writeFile(input, events.map((e) => JSON.stringify(toNormalizedRow(e))).join('\n') + '\n');
    const duckdb = await openDuckDB({ threads: 2 });
    try {
      for (const view of views) {
        await duckdb.copyToParquet(viewStatesSql(view, { source: readNormalizedJsonSql(quoteLiteral(input)) }), join(dir, `${view.name}.parquet`));
      }
    } finally {
      duckdb.close();
    }
    const completedAt = new Date().toISOString();
    await writeCurrentVersion(lakePaths(lakeDir), { version: name, generation: cut.generation, cut: cut.offsets, topic, completedAt });
    await store.writePointer({ version: name, generation: cut.generation, cut: cut.offsets, completedAt });
    return cut;
  }

  async function cleanup(): Promise<void> {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await app.close();
    await opened.close();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic)] }).catch(() => undefined);
    await admin.disconnect();
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await rm(lakeDir, { recursive: true, force: true });
  }

  return { app, store, topic, prefix, lakeDir, startSpeedLayer, startBatchLayer, caughtUp, publishVersion, cleanup, output: () => log };
}

/** A seeded workload over the default views; some events repeat an id (same content). */
export function workload(count: number, seed: number, now: number, idPrefix: string): NormalizedEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const out: NormalizedEvent[] = [];
  for (let i = 0; i < count; i++) {
    if (out.length > 0 && random() < 0.05) {
      out.push(pick(out));
      continue;
    }
    const ts = now - Math.floor(random() * 3 * 3_600_000);
    const id = `${idPrefix}-${i}`;
    const r = random();
    const user = `u${Math.floor(random() * 200)}`;
    if (r < 0.45) {
      out.push({ id, type: 'payment', ts, attrs: { country: pick(['DE', 'FR', 'US', null]), method: pick(['card', 'sepa']), amount: random() < 0.1 ? null : Math.round(random() * 1e5) / 100, user_id: user } });
    } else if (r < 0.9) {
      out.push({ id, type: 'page_view', ts, attrs: { page: pick(['/', '/docs', '/pricing']), device: pick(['mobile', 'desktop']), user_id: user, duration_ms: Math.floor(random() * 10_000) } });
    } else {
      out.push({ id, type: 'signup', ts, attrs: { country: pick(['DE', 'FR']), plan: pick(['free', 'pro']), user_id: user } });
    }
  }
  return out;
}

export const wire = (e: NormalizedEvent, i: number): Record<string, unknown> => ({ id: e.id, type: e.type, ts: i % 2 ? e.ts : new Date(e.ts).toISOString(), ...e.attrs });

export const uniqueById = (events: readonly NormalizedEvent[]): NormalizedEvent[] => {
  const seen = new Map<string, NormalizedEvent>();
  for (const e of events) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()];
};

/** What a query must answer: core's aggregation over the valid events, each id once. */
export function oracle(view: ViewDefinition, params: Record<string, string | string[]>, events: readonly NormalizedEvent[], now: number): QueryResultRow[] {
  return queryRows(view, normalizeQuery(view, params, now), aggregateEvents(view, uniqueById(events)));
}

/** Rows equal: integers exactly, other numbers to 1e-9 relative (summation order differs). */
export function expectSameRows(actual: readonly QueryResultRow[], expected: readonly QueryResultRow[], where: string): void {
  expect(actual.map((r) => [r.bucket, r.dims]), where).toEqual(expected.map((r) => [r.bucket, r.dims]));
  expected.forEach((want, i) => {
    const got = actual[i] as QueryResultRow;
    for (const [name, value] of Object.entries(want.metrics)) {
      const have = got.metrics[name];
      const label = `${where} ${want.bucket} ${JSON.stringify(want.dims)} ${name}`;
      if (value === null || have === null || have === undefined) expect(have, label).toBe(value);
      else expect(Math.abs(have - value), `${label}: ${have} vs ${value}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(value)));
    }
  });
}
