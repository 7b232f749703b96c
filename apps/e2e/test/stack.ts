/**
 * The whole stack as `npm start` runs it (DEMO=0): a Kafka broker and a Redis of its own (so a
 * scenario may stop, kill or wipe them), and each app as its own `node --import tsx <entry>` process
 * with the same environment, logging to a file. Every process can be SIGKILLed and started again.
 */
import { startApp, stopApp, waitHealthy } from '@tributary/tools/app-process';
import { freePorts, startKafka, startRedis, type KafkaHandle, type RedisHandle } from '@tributary/tools/infra';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const TOPIC = 'events';

export type AppName = 'speed-layer' | 'speed-layer-2' | 'batch-layer' | 'serving-api';

const ENTRIES: Record<AppName, string> = {
  'speed-layer': 'apps/speed-layer/src/main.ts',
  'speed-layer-2': 'apps/speed-layer/src/main.ts',
  'batch-layer': 'apps/batch-layer/src/main.ts',
  'serving-api': 'apps/serving-api/src/server.ts',
};

/** One app of the stack, started with `npm start`'s own launcher; SIGKILLed and started again at will. */
export class AppProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  starts = 0;

  constructor(
    readonly name: AppName,
    private readonly env: NodeJS.ProcessEnv,
    readonly healthUrl: string,
    private readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the app and waits until its `/healthz` answers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    this.log.write(`\n===== start #${++this.starts} at ${new Date().toISOString()} =====\n`);
    const spec = { name: this.name, entry: ENTRIES[this.name], healthUrl: this.healthUrl };
    this.child = startApp(spec, this.env, { cwd: ROOT, output: this.log });
    try {
      await waitHealthy(spec, this.child, 90_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}:\n${await this.tail()}`, { cause: err });
    }
  }

  /** SIGKILL: a crash, with no chance to finish anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM: the graceful shutdown path (SIGKILL after 30 s). */
  async stop(): Promise<void> {
    if (this.child) await stopApp(this.child, 30_000);
  }

  async tail(lines = 40): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((done) => (this.log ? this.log.end(done) : done()));
    this.log = undefined;
  }
}

export interface Stack {
  readonly kafka: KafkaHandle;
  readonly redis: RedisHandle;
  readonly lakeDir: string;
  readonly apiUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly apps: Record<AppName, AppProcess>;
  /** Stops every app, then the broker and Redis. */
  stop(): Promise<void>;
}

/** Kafka, Redis and the three apps (a second speed layer is defined but not started). */
export async function startStack(dir: string): Promise<Stack> {
  await mkdir(join(dir, 'logs'), { recursive: true });
  const quiet = () => undefined;
  // Every port chosen at once, so no two of the servers started side by side pick the same one.
  const [kafkaPort, controllerPort, redisPort, api = 0, speed = 0, speed2 = 0, batch = 0] = await freePorts(7);
  const [kafka, redis] = await Promise.all([
    startKafka({ dir: join(dir, 'kafka'), log: quiet, port: kafkaPort, controllerPort }),
    startRedis({ dir: join(dir, 'redis'), log: quiet, port: redisPort }),
  ]);
  const lakeDir = join(dir, 'lake');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    DEMO: '0',
    KAFKA_BROKERS: kafka.brokers,
    REDIS_URL: redis.url,
    EVENTS_TOPIC: TOPIC,
    LAKE_DIR: lakeDir,
    VIEWS_FILE: join(ROOT, 'config/views.yaml'),
    ADMIN_TOKEN,
    BATCH_INTERVAL_MS: '0',
    // A killed consumer's partitions move on after this (the broker's minimum is 6 s).
    KAFKA_SESSION_TIMEOUT_MS: '8000',
    ARCHIVE_SEGMENT_MAX_BYTES: String(256 * 1024),
    ARCHIVE_SEGMENT_MAX_AGE_MS: '2000',
    BATCH_DROP_GRACE_MS: '1000',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
  };
  const app = (name: AppName, port: number, extra: Record<string, string>) =>
    new AppProcess(name, { ...env, ...extra }, `http://127.0.0.1:${port}/healthz`, join(dir, 'logs', `${name}.log`));
  const apps: Record<AppName, AppProcess> = {
    'speed-layer': app('speed-layer', speed, { SPEED_LAYER_PORT: String(speed) }),
    'speed-layer-2': app('speed-layer-2', speed2, { SPEED_LAYER_PORT: String(speed2) }),
    'batch-layer': app('batch-layer', batch, { BATCH_LAYER_PORT: String(batch) }),
    'serving-api': app('serving-api', api, { PORT: String(api) }),
  };
  for (const name of ['speed-layer', 'batch-layer', 'serving-api'] as const) await apps[name].start();
  return {
    kafka,
    redis,
    lakeDir,
    apiUrl: `http://127.0.0.1:${api}`,
    env,
    apps,
    async stop() {
      await Promise.allSettled(Object.values(apps).map((a) => a.close()));
      await Promise.allSettled([kafka.stop(), redis.stop()]);
    },
  };
}
