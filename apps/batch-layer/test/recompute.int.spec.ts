import { openDuckDB } from '@tributary/adapter-duckdb';
import { lakeExtras, lakePaths, listSegments, readCurrentVersion } from '@tributary/adapter-lake';
import { createRecomputeQueue, type BatchRun } from '@tributary/adapter-queue';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import { loadViewsFile } from '@tributary/config';
import type { NormalizedEvent } from '@tributary/core';
import { integrationEnv, uniqueName, waitFor } from '@tributary/testing';
import { Redis } from 'ioredis';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameStates, generateEvents, oracle, readBatchView } from './oracle';
import { appEnv, cleanUp, createTopic, highWatermarks, kafkaFor, startBatchLayerInProcess, tempLake, VIEWS_FILE } from './support';

// A full recompute from Kafka (through the archive) and inbox files equals an oracle computed
// independently (core's TypeScript aggregation over the valid events, distinct by id), with
// duplicates across partitions and sources and invalid events; re-ingesting a file name is refused;
// a run that fails keeps the published version serving and says why.
const { kafkaBrokers, redisUrl } = integrationEnv();
const topic = uniqueName('recompute');
const prefix = uniqueName('rc').replaceAll('-', '').slice(0, 40);
const PARTITIONS = 3;
const views = loadViewsFile(VIEWS_FILE);
const lake = await tempLake();
const paths = lakePaths(lake.dir);
const kafka = kafkaFor(kafkaBrokers);
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic, dedupWindowMs: 3_600_000 });
const queue = createRecomputeQueue({ connection: redis, prefix, attempts: 2, backoffMs: 100 });
const now = Date.now();
const generated = generateEvents(1500, { seed: 7, idPrefix: 'k', now });
let batchLayer: Awaited<ReturnType<typeof startBatchLayerInProcess>>;
const fileValid: NormalizedEvent[] = [];

async function runToEnd(views?: string[]): Promise<BatchRun> {
  const { id } = await queue.requestRun(views ? { views, reason: 'test' } : { reason: 'test' });
  return waitFor(
    async () => {
      const run = await queue.getRun(id);
      return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, description: `run ${id} to finish` },
  );
}

beforeAll(async () => {
  await createTopic(kafka, topic, PARTITIONS);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = 0; i < generated.messages.length; i += 500) await producer.send({ topic, messages: generated.messages.slice(i, i + 500) });
  await producer.disconnect();
  // A speed layer that has caught up: its offsets are the high watermarks.
  const high = await highWatermarks(kafka, topic);
  await store.initialize({ generation: 1, offsets: Object.fromEntries([...high].map(([p, h]) => [String(p), h.toString()])), marker: 'test' });
  batchLayer = await startBatchLayerInProcess(
    appEnv({ brokers: kafkaBrokers, redisUrl, topic, prefix, lakeDir: lake.dir, partitions: PARTITIONS }, { ARCHIVE_SEGMENT_MAX_BYTES: '65536', ARCHIVE_SEGMENT_MAX_AGE_MS: '30000', BATCH_KEEP_VERSIONS: '2' }),
  );
});

afterAll(async () => {
  await batchLayer?.stop();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
  await cleanUp({ kafka, topic, redisUrl, prefix });
  await lake.remove();
});

describe('recompute', () => {
  it('equals the oracle over Kafka and inbox files, duplicates and invalid events included', async () => {
    await mkdir(paths.inbox, { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const event = { id: `f${i}`, type: 'signup', ts: now - i * 60_000, country: i % 2 ? 'DE' : 'FR', plan: 'pro' };
      lines.push(JSON.stringify(event));
      fileValid.push({ id: event.id, type: event.type, ts: event.ts, attrs: { country: event.country, plan: event.plan } });
    }
    const copies = generated.valid.slice(0, 10); // already in Kafka: counted once
    for (const e of copies) lines.push(JSON.stringify({ id: e.id, type: e.type, ts: e.ts, ...e.attrs }));
    lines.splice(3, 0, '{"id": "oops"'); // line 4
    lines.splice(7, 0, ''); // line 8: blank, skipped
    lines.splice(9, 0, JSON.stringify({ id: 'f-bad', type: 'payment', ts: now, amount: 'ten' })); // line 10
    await writeFile(join(paths.inbox, 'extra.ndjson'), `${lines.join('\n')}\n`);
    await writeFile(join(paths.inbox, 'signups.csv'), `id,type,ts,country,plan\nc1,signup,${now - 1000},JP,free\n,signup,${now},JP,free\nc2,signup,${now - 2000},,pro\n`);
    fileValid.push({ id: 'c1', type: 'signup', ts: now - 1000, attrs: { country: 'JP', plan: 'free' } });
    fileValid.push({ id: 'c2', type: 'signup', ts: now - 2000, attrs: { country: null, plan: 'pro' } });
    const jsonEvents = [
      { id: 'j1', type: 'payment', ts: new Date(now - 5000).toISOString(), country: 'DE', method: 'card', amount: 12.25, user_id: 'u1' },
      { id: 'j2', type: 'payment', ts: now - 6000, country: 'DE', method: 'card', amount: 'twelve' },
      { id: 'j3', type: 'page_view', ts: now - 7000, page: '/', device: 'mobile', user_id: 7, duration_ms: 1200 },
    ];
    await writeFile(join(paths.inbox, 'array.json'), JSON.stringify(jsonEvents));
    fileValid.push({ id: 'j1', type: 'payment', ts: now - 5000, attrs: { country: 'DE', method: 'card', amount: 12.25, user_id: 'u1' } });
    fileValid.push({ id: 'j3', type: 'page_view', ts: now - 7000, attrs: { page: '/', device: 'mobile', user_id: 7, duration_ms: 1200 } });
    const duckdb = await openDuckDB({ threads: 1 });
    await duckdb.copyToParquet(`SELECT 'p1' AS id, 'payment' AS type, ${now - 9000}::BIGINT AS ts, 'FR' AS country, 'sepa' AS method, 3.5::DOUBLE AS amount, 'u9' AS user_id`, join(paths.inbox, 'rows.parquet'));
    duckdb.close();
    fileValid.push({ id: 'p1', type: 'payment', ts: now - 9000, attrs: { country: 'FR', method: 'sepa', amount: 3.5, user_id: 'u9' } });
    await writeFile(join(paths.inbox, 'broken.parquet'), 'not parquet at all');

    const run = await runToEnd();
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    const validMessages = generated.messages.length - generated.invalid;
    expect(run.stats).toMatchObject({ rowsRead: validMessages + 40 + copies.length + 2 + 2 + 1, rejected: generated.invalid + 2 + 1 + 1 });
    expect(run.stats.filesRead).toBeGreaterThanOrEqual(PARTITIONS + 4);

    for (const view of views) {
      const batch = await readBatchView(lake.dir, view);
      expect(batch.version).toBe(run.version);
      expectSameStates(view, batch.rows, oracle(view, [...generated.valid, ...fileValid]));
    }

    expect(await readdir(paths.inbox)).toEqual([]);
    expect((await readdir(paths.rawFiles)).sort()).toEqual(['array.json', 'extra.ndjson', 'rows.parquet', 'signups.csv']);
    expect((await readdir(paths.rejected)).sort()).toEqual(['array.json.errors.ndjson', 'broken.parquet', 'broken.parquet.errors.ndjson', 'extra.ndjson.errors.ndjson', 'signups.csv.errors.ndjson']);
    expect(JSON.parse(await readFile(join(paths.rejected, 'array.json.errors.ndjson'), 'utf8'))).toMatchObject({ file: 'array.json', row: 2, reason: expect.stringMatching(/amount/) as unknown });
    expect(JSON.parse(await readFile(join(paths.rejected, 'broken.parquet.errors.ndjson'), 'utf8'))).toMatchObject({ file: 'broken.parquet', reason: expect.stringMatching(/cannot read the file as parquet/) as unknown });
    const errors = (await readFile(join(paths.rejected, 'extra.ndjson.errors.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(errors.map((e) => e['line'])).toEqual([4, 10]);
    expect(errors[0]?.['reason']).toMatch(/malformed JSON/);
    expect(errors[1]?.['reason']).toMatch(/amount/);
    const csvErrors = (await readFile(join(paths.rejected, 'signups.csv.errors.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(csvErrors).toEqual([{ file: 'signups.csv', row: 2, reason: expect.stringMatching(/^id: /) as unknown }]);

    // Published: CURRENT.json, then the Redis pointer; the speed layer moved to generation 2.
    const current = await readCurrentVersion(paths);
    expect(current).toMatchObject({ version: run.version, generation: 1, topic });
    expect(await store.readPointer()).toMatchObject({ version: run.version, generation: 1, cut: current?.cut });
    expect(await store.generation()).toBe(2);
    const manifest = JSON.parse(await readFile(join(paths.version(run.version as string), 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ version: run.version, generation: 1, ingested: ['array.json', 'extra.ndjson', 'rows.parquet', 'signups.csv'] });
  });

  it('refuses a file name already ingested, and a second run gives the same answers', async () => {
    await writeFile(join(paths.inbox, 'extra.ndjson'), `${JSON.stringify({ id: 'new', type: 'signup', ts: now })}\n`);
    const run = await runToEnd();
    expect(run.status).toBe('succeeded');
    const manifest = JSON.parse(await readFile(join(paths.version(run.version as string), 'manifest.json'), 'utf8')) as { refused: Array<{ file: string; reason: string }> };
    expect(manifest.refused).toEqual([{ file: 'extra.ndjson', reason: expect.stringMatching(/already ingested/) as unknown }]);
    expect(await readdir(paths.inbox)).toEqual(['extra.ndjson']);
    for (const view of views) expectSameStates(view, (await readBatchView(lake.dir, view)).rows, oracle(view, [...generated.valid, ...fileValid]));
    await rm(join(paths.inbox, 'extra.ndjson'));
  });

  it('recomputes some views at the published cut and carries the others over', async () => {
    const before = await readCurrentVersion(paths);
    const run = await runToEnd(['signups_daily']);
    expect(run.status).toBe('succeeded');
    const after = await readCurrentVersion(paths);
    expect(after).toMatchObject({ generation: before?.generation, cut: before?.cut });
    expect(after?.version).not.toBe(before?.version);
    for (const view of views) expectSameStates(view, (await readBatchView(lake.dir, view)).rows, oracle(view, [...generated.valid, ...fileValid]));
    const versions = (await readdir(paths.views)).filter((n) => n.startsWith('g'));
    expect(versions.length, 'BATCH_KEEP_VERSIONS=2').toBe(2);
  });

  it('serves health, readiness and metrics (archived offsets and lag per partition, runs)', async () => {
    const base = `http://127.0.0.1:${batchLayer.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const high = await highWatermarks(kafka, topic);
    for (const [p, h] of high) {
      expect(metrics).toContain(`trb_archive_next_offset{partition="${p}"} ${h}`);
      expect(metrics).toContain(`trb_archive_lag_messages{partition="${p}"} 0`);
    }
    expect(metrics).toMatch(/trb_batch_runs_total\{outcome="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/trb_batch_run_seconds_count [1-9]/);
  });

  it('keeps the published version when a run fails, and reports why', async () => {
    const before = await readCurrentVersion(paths);
    const pointer = await store.readPointer();
    // Damage a raw segment and drop its normalized copy, so the run must read the damaged file.
    const [segment] = await listSegments(paths, topic, 0);
    expect(segment).toBeDefined();
    await appendFile(segment?.path as string, 'this is not a segment record\n');
    await rm(join(lakeExtras(paths).normalizedRoot), { recursive: true, force: true });

    const run = await runToEnd();
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/not a segment record/);
    expect(run.error).toContain(segment?.name);
    expect(run.version).toBeNull();
    expect(await readCurrentVersion(paths)).toEqual(before);
    expect(await store.readPointer()).toEqual(pointer);
    for (const view of views) expectSameStates(view, (await readBatchView(lake.dir, view)).rows, oracle(view, [...generated.valid, ...fileValid]));
  });
});
