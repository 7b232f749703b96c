// `npm start`: a real Kafka broker and Redis (given by KAFKA_BROKERS / REDIS_URL, or started
// here), the three apps as processes, and — unless DEMO=0 — a demo event generator. Prints the
// URLs; Ctrl-C stops everything this command started.
import { loadBatchLayerConfig, loadServingApiConfig, loadSpeedLayerConfig } from '@tributary/config';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startInfra } from './infra/index';
import { produceDemo } from './demo/produce-demo';
import { startApp, stopApp, waitHealthy, type AppSpec } from './lib/app-process';

const serving = loadServingApiConfig();
const speed = loadSpeedLayerConfig();
const batch = loadBatchLayerConfig();
const host = (h: string) => (h === '0.0.0.0' ? '127.0.0.1' : h);

const apps: AppSpec[] = [
  { name: 'speed-layer', entry: 'apps/speed-layer/src/main.ts', healthUrl: `http://${host(speed.HOST)}:${speed.SPEED_LAYER_PORT}/healthz` },
  { name: 'batch-layer', entry: 'apps/batch-layer/src/main.ts', healthUrl: `http://${host(batch.HOST)}:${batch.BATCH_LAYER_PORT}/healthz` },
  { name: 'serving-api', entry: 'apps/serving-api/src/server.ts', healthUrl: `http://${host(serving.HOST)}:${serving.PORT}/healthz` },
];

const infra = await startInfra();
// The lake holds Kafka offsets (archive segments, cuts), so it belongs to one broker: with a broker
// started here (fresh each run), keep the lake in that run's folder unless LAKE_DIR says otherwise.
const lakeDir = process.env.LAKE_DIR ?? (infra.owned.kafka && infra.runDir ? join(infra.runDir, 'lake') : speed.LAKE_DIR);
// KAFKAJS_NO_PARTITIONER_WARNING: kafkajs' notice about its v2 default partitioner, irrelevant here.
const env = { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...process.env, ...infra.env, LAKE_DIR: lakeDir };
const children = new Map<string, ChildProcess>();
const demo = new AbortController();
let demoDone: Promise<void> = Promise.resolve();
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stderr.write('\n[start] stopping the apps …\n');
    demo.abort();
    await demoDone;
    await Promise.all([...children.values()].map((child) => stopApp(child)));
    await infra.stop();
    process.stderr.write('[start] stopped\n');
  }
  process.exit(code);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

try {
  for (const spec of apps) {
    const child = startApp(spec, env);
    children.set(spec.name, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`[start] ${spec.name} exited (${code ?? signal}); stopping the stack\n`);
      void stopAll(1);
    });
  }
  await Promise.all(apps.map((spec) => waitHealthy(spec, children.get(spec.name) as ChildProcess)));
} catch (err) {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll(1);
}

const api = `http://${host(serving.HOST)}:${serving.PORT}`;
process.stderr.write(`
Tributary is running (Ctrl-C stops everything):
  serving API   ${api}            (docs: ${api}/docs, health: ${api}/healthz)
  speed layer   ${apps[0]?.healthUrl.replace('/healthz', '')}
  batch layer   ${apps[1]?.healthUrl.replace('/healthz', '')}
  Kafka         ${infra.env.KAFKA_BROKERS}   (topic ${speed.EVENTS_TOPIC})
  Redis         ${infra.env.REDIS_URL}
  lake          ${lakeDir}
`);

if (process.env.DEMO !== '0') {
  const eventsPerSecond = Number(process.env.DEMO_RATE ?? 50);
  demoDone = produceDemo({
    brokers: infra.env.KAFKA_BROKERS.split(','),
    topic: speed.EVENTS_TOPIC,
    eventsPerSecond: Number.isFinite(eventsPerSecond) && eventsPerSecond > 0 ? eventsPerSecond : 50,
    signal: demo.signal,
    log: (msg) => process.stderr.write(`[start] ${msg}\n`),
  }).catch((err: unknown) => {
    process.stderr.write(`[start] demo generator stopped: ${err instanceof Error ? err.message : String(err)}\n`);
  });
}
