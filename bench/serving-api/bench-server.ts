/**
 * Child process of the serving-API benchmark: prepares one world (a batch version and live speed
 * generations of `payments_by_country`, 100 groups over one hour of minutes: 50 groups in the batch
 * Parquet, 50 in Redis), then serves the real serving API and, on a second port, a bare fastify
 * route doing one Redis GET; on `{live: hz}` over IPC it also applies `hz` small Kafka batches a second.
 * Prints `{"api":port,"bare":port,"query":path,"grouped":path,"oracle":rows JSON}` on stdout when ready,
 * where the oracle is core's `queryRows` over all the events of the one-hour query.
 * Env: KAFKA_BROKERS, REDIS_URL.
 */
import { openDuckDB } from '@tributary/adapter-duckdb';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import { loadServingApiConfig, loadViewsFile } from '@tributary/config';
import { aggregateEvents, type NormalizedEvent, normalizeQuery, queryRows, quoteLiteral, readNormalizedJsonSql, toNormalizedRow, viewStatesSql } from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp } from '../../apps/serving-api/src/app';
import { createServingPorts } from '../../apps/serving-api/src/create-ports';

const root = resolve(import.meta.dirname, '../..');
const viewsFile = join(root, 'config/views.yaml');
const views = loadViewsFile(viewsFile);
const view = views.find((v) => v.name === 'payments_by_country');
if (!view) throw new Error('payments_by_country is missing from config/views.yaml');

const run = randomUUID().slice(0, 8);
const prefix = `bench-${run}`;
const topic = `bench-serving-${run}`;
const lakeDir = mkdtempSync(join(tmpdir(), 'tributary-bench-serving-'));
const to = Math.floor(Date.now() / 60_000) * 60_000;
const from = to - 3_600_000;

// 100 groups (10 countries × 10 methods), 3 events per group and minute; even groups in the batch view, odd ones live.
const batchEvents: NormalizedEvent[] = [];
const speedEvents: NormalizedEvent[] = [];
for (let minute = 0; minute < 60; minute++) {
  for (let g = 0; g < 100; g++) {
    for (let k = 0; k < 3; k++) {
      const event: NormalizedEvent = {
        id: `${minute}-${g}-${k}`,
        type: 'payment',
        ts: from + minute * 60_000 + k * 1_000,
        attrs: { country: `c${Math.floor(g / 10)}`, method: `m${g % 10}`, amount: (minute * 7 + g * 3 + k) / 4, user_id: `u${(g * 13 + k * 7 + minute) % 500}` },
      };
      (g % 2 === 0 ? batchEvents : speedEvents).push(event);
    }
  }
}

// The batch version, written as the batch layer writes it.
const input = join(lakeDir, 'batch-events.ndjson');
writeFileSync(input, batchEvents.map((e) => JSON.stringify(toNormalizedRow(e))).join('\n'));
mkdirSync(join(lakeDir, 'views', 'v1'), { recursive: true });
const duckdb = await openDuckDB({ threads: 2 });
await duckdb.copyToParquet(viewStatesSql(view, { source: readNormalizedJsonSql(quoteLiteral(input)) }), join(lakeDir, 'views', 'v1', `${view.name}.parquet`));
duckdb.close();

// The live half: generation 1 in Redis, applied through the speed store's own Lua script.
const env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, REDIS_URL: process.env.REDIS_URL, EVENTS_TOPIC: topic, REDIS_KEY_PREFIX: prefix, LAKE_DIR: lakeDir, VIEWS_FILE: viewsFile, LOG_LEVEL: 'warn' };
const config = loadServingApiConfig(env);
const redis = new Redis(config.REDIS_URL);
const store = createRedisSpeedStore({ redis, keys: createSpeedKeys(prefix), topic, dedupWindowMs: 0 });
await store.initialize({ generation: 1, offsets: {}, marker: 'bench' });
const applied = await store.applyBatch({ partition: 0, first: '0', next: '1', generation: 1, ids: [], views: [{ view, rows: aggregateEvents(view, speedEvents) }], now: Date.now() });
if (applied.status !== 'ok') throw new Error(`applying the live half answered ${JSON.stringify(applied)}`);
await store.writePointer({ version: 'v1', generation: 0, cut: {}, completedAt: new Date().toISOString() });
await redis.set(`${prefix}:bare`, JSON.stringify({ hello: 'world' }));

const logger = createLogger({ app: 'bench-serving-api', level: 'warn' });
const opened = await createServingPorts(config, logger);
const api = await buildApp({ config, logger, views, ports: opened.ports });
await api.listen({ port: 0, host: '127.0.0.1' });

const bare = Fastify();
bare.get('/bare', async () => JSON.parse((await redis.get(`${prefix}:bare`)) ?? 'null') as unknown);
await bare.listen({ port: 0, host: '127.0.0.1' });

// A live stream on demand: `{ live: hz }` over IPC applies one more event as a Kafka batch `hz` times a
// second (as the speed layer does), so the speed half changes and its cache is refreshed that often.
let offset = 1;
let live: NodeJS.Timeout | undefined;
process.on('message', (message: { live?: number }) => {
  if (live) clearInterval(live);
  live = undefined;
  const hz = message.live ?? 0;
  if (hz <= 0) return;
  live = setInterval(() => {
    const g = offset % 100;
    const event: NormalizedEvent = { id: `live-${offset}`, type: 'payment', ts: to - 30_000, attrs: { country: `c${Math.floor(g / 10)}`, method: `m${g % 10}`, amount: 1, user_id: `live-${offset}` } };
    const first = String(offset);
    offset++;
    void store.applyBatch({ partition: 0, first, next: String(offset), generation: 1, ids: [], views: [{ view, rows: aggregateEvents(view, [event]) }], now: Date.now() });
  }, 1000 / hz);
});

const port = (app: { server: { address(): unknown } }) => (app.server.address() as { port: number }).port;
const query = `/v1/views/payments_by_country/query?from=${from}&to=${to}`;
const oracle = JSON.stringify(queryRows(view, normalizeQuery(view, { from: String(from), to: String(to) }, Date.now()), aggregateEvents(view, [...batchEvents, ...speedEvents])));
process.stdout.write(`${JSON.stringify({ api: port(api), bare: port(bare), query, grouped: `${query}&groupBy=country,method`, oracle })}\n`);

process.on('SIGTERM', () => {
  if (live) clearInterval(live);
  void (async () => {
    await api.close();
    await bare.close();
    await opened.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    process.exit(0);
  })();
});
