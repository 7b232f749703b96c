import { createRecomputeQueue, type BatchRun } from '@tributary/adapter-queue';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import { loadViewsFile } from '@tributary/config';
import { mergeRowsInto, ViewRows } from '@tributary/core';
import { integrationEnv, uniqueName, waitFor } from '@tributary/testing';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectSameStates, generateEvents, oracle, readBatchView } from './oracle';
import { appEnv, cleanUp, createTopic, highWatermarks, kafkaFor, startApp, startBatchLayerInProcess, tempLake, VIEWS_FILE, type AppProcess } from './support';

// Events keep flowing into Kafka while batch runs cut, recompute and publish, with a real speed-layer
// process counting them: afterwards the batch view ⊕ the speed generations after the published one
// equals the oracle for every view — nothing lost or doubled at the seam, duplicates included.
const { kafkaBrokers, redisUrl } = integrationEnv();
const topic = uniqueName('seam');
const prefix = uniqueName('seam').replaceAll('-', '').slice(0, 40);
const PARTITIONS = 3;
const views = loadViewsFile(VIEWS_FILE);
const lake = await tempLake();
const kafka = kafkaFor(kafkaBrokers);
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic, dedupWindowMs: 3_600_000 });
const queue = createRecomputeQueue({ connection: redis, prefix, attempts: 3, backoffMs: 200 });
const env = appEnv({ brokers: kafkaBrokers, redisUrl, topic, prefix, lakeDir: lake.dir, partitions: PARTITIONS }, { ARCHIVE_SEGMENT_MAX_BYTES: '16384', ARCHIVE_SEGMENT_MAX_AGE_MS: '200' });
let speed: AppProcess | undefined;
let batchLayer: Awaited<ReturnType<typeof startBatchLayerInProcess>> | undefined;

afterAll(async () => {
  await speed?.kill('SIGTERM');
  await batchLayer?.stop();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
  await cleanUp({ kafka, topic, redisUrl, prefix });
  await lake.remove();
});

const finishedNow = async (id: string): Promise<BatchRun | undefined> => {
  const run = await queue.getRun(id);
  return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
};

describe('the seam between batch and speed', () => {
  it('batch view ⊕ later speed generations equals the oracle while events flow during runs', async () => {
    await createTopic(kafka, topic, PARTITIONS);
    speed = await startApp('speed-layer', env, join(tmpdir(), 'tributary-test-logs', `${topic}-speed.log`));
    batchLayer = await startBatchLayerInProcess(env);
    await waitFor(() => store.isInitialized(), { timeoutMs: 60_000, description: 'the speed layer to initialize its store' });

    const generated = generateEvents(3000, { seed: 11, idPrefix: 's', now: Date.now() });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let sent = 0;
    const send = async (n: number) => {
      const messages = generated.messages.slice(sent, sent + n);
      sent += messages.length;
      if (messages.length > 0) await producer.send({ topic, messages });
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    };
    // Events flow before, during and after each run; a run's whole life is spent with events arriving.
    const total = generated.messages.length;
    const runDuringFlow = async (until: number): Promise<BatchRun> => {
      const { id } = await queue.requestRun({ reason: 'test' });
      let run: BatchRun | undefined;
      while (!(run = await finishedNow(id))) await send(sent < until ? 20 : 0);
      return run;
    };
    while (sent < total * 0.3) await send(60);
    const first = await runDuringFlow(total * 0.6);
    while (sent < total * 0.65) await send(60);
    const second = await runDuringFlow(total * 0.85);
    while (sent < total) await send(60);
    await producer.disconnect();
    const done = [first, second];
    expect(done.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);

    // The speed layer catches up (lag 0); then every answer is batch ⊕ speed generations > g.
    const high = await highWatermarks(kafka, topic);
    await waitFor(
      async () => {
        const offsets = await store.offsets();
        return [...high].every(([p, h]) => offsets[String(p)] === h.toString());
      },
      { timeoutMs: 60_000, description: 'the speed layer to catch up' },
    );
    const everything = { fromBucket: 0, toBucket: 8_640_000_000_000_000 };
    let batchRows = 0;
    let liveRows = 0;
    for (const view of views) {
      const batch = await readBatchView(lake.dir, view);
      expect(batch.version).toBe(done[1]?.version);
      const live = await store.readStates(view, { ...everything, afterGeneration: batch.generation });
      const answer = mergeRowsInto(view, new ViewRows(view.dimensions.length), batch.rows);
      mergeRowsInto(view, answer, live);
      expectSameStates(view, answer, oracle(view, generated.valid));
      // The generations the batch covers are gone from Redis.
      expect([...(await store.readStates(view, { ...everything, afterGeneration: 0 }))].length).toBe([...live].length);
      batchRows += batch.rows.size;
      liveRows += live.size;
    }
    // Both halves hold data: the runs cut while events were flowing.
    expect(batchRows).toBeGreaterThan(0);
    expect(liveRows).toBeGreaterThan(0);
  });
});
