import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInfra, startKafka, startRedis, type KafkaHandle, type RedisHandle } from '../infra/index';

/**
 * Starts a real Kafka broker and a real Redis (no env vars involved), uses them, crashes and restarts
 * them, and checks no process outlives its owner.
 */

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const quiet = (): void => undefined;

const isGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

const expectGone = async (pid: number | null): Promise<void> => {
  if (pid === null) return;
  // A child of this process may linger a moment as a zombie until Node reaps it.
  await vi.waitFor(() => expect(() => process.kill(pid, 0)).toThrow(), { timeout: 15_000, interval: 100 });
};

const unusedPort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

const kafkaClient = (brokers: string): Kafka => new Kafka({ clientId: 'infra-int-test', brokers: [brokers], logLevel: logLevel.NOTHING });

const produceAndConsume = async (brokers: string, topic: string, value: string, produce: boolean): Promise<string[]> => {
  const kafka = kafkaClient(brokers);
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `${topic}-${randomUUID()}`, maxWaitTimeInMs: 200 });
  try {
    await admin.connect();
    if (produce) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value }] });
    }
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value?.toString() ?? '');
      },
    });
    await vi.waitFor(() => expect(seen).toContain(value), { timeout: 60_000, interval: 100 });
    return seen;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
};

const withRedis = async <T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
};

/** Runs a separate Node process that starts a Redis through tools/infra and reports its pids. */
const startOwnerProcess = async (dir: string, mode: 'wait' | 'exit') => {
  const script = join(dir, `owner-${randomUUID()}.mts`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    script,
    [
      `import { startRedis } from ${JSON.stringify(join(repoRoot, 'tools/infra/index.ts'))};`,
      `const redis = await startRedis({ dir: ${JSON.stringify(dir)}, log: () => undefined });`,
      `process.stdout.write(JSON.stringify({ pid: redis.pid, watchdogPid: redis.watchdogPid }) + '\\n');`,
      mode === 'exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);',
    ].join('\n'),
  );
  const owner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(owner.stdout, 'data')) as [Buffer];
  return { owner, ...(JSON.parse(line.toString()) as { pid: number; watchdogPid: number | null }) };
};

describe('tools/infra with real services', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-infra-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('startKafka and startRedis', () => {
    let kafka: KafkaHandle | null = null;
    let redis: RedisHandle | null = null;

    beforeAll(async () => {
      [kafka, redis] = await Promise.all([startKafka({ dir, log: quiet }), startRedis({ dir, log: quiet })]);
    }, 180_000);

    afterAll(async () => {
      await Promise.all([kafka?.stop(), redis?.stop()]);
    }, 60_000);

    it('serve a kafkajs produce and consume through a consumer group', async () => {
      if (kafka === null) throw new Error('kafka did not start');
      const value = randomUUID();
      expect(await produceAndConsume(kafka.brokers, `test-${randomUUID()}`, value, true)).toEqual([value]);
    }, 90_000);

    it('serve a Redis SET then GET', async () => {
      if (redis === null) throw new Error('redis did not start');
      const key = `test-${randomUUID()}:value`;
      const got = await withRedis(redis.url, async (client) => {
        await client.set(key, 'hello', 'EX', 60);
        return client.get(key);
      });
      expect(got).toBe('hello');
    });

    it('restart Redis on the same URL after a crash (kill)', async () => {
      if (redis === null) throw new Error('redis did not start');
      const crashed = redis.pid;
      await redis.kill();
      await expectGone(crashed);
      expect(redis.isRunning()).toBe(false);
      await redis.restart();
      expect(redis.pid).not.toBe(crashed);
      expect(await withRedis(redis.url, (client) => client.ping())).toBe('PONG');
    }, 60_000);

    it('restart Kafka after a crash, keeping its data', async () => {
      if (kafka === null) throw new Error('kafka did not start');
      const topic = `test-${randomUUID()}`;
      const value = randomUUID();
      await produceAndConsume(kafka.brokers, topic, value, true);
      const crashed = kafka.pid;
      await kafka.kill();
      await expectGone(crashed);
      await kafka.restart();
      expect(kafka.pid).not.toBe(crashed);
      expect(await produceAndConsume(kafka.brokers, topic, value, false)).toContain(value);
    }, 180_000);

    it('stop() ends the services and their watchdogs', async () => {
      if (kafka === null || redis === null) throw new Error('services did not start');
      const pids = [kafka.pid, kafka.watchdogPid, redis.pid, redis.watchdogPid];
      expect(pids.every((pid) => pid !== null)).toBe(true);
      await Promise.all([kafka.stop(), redis.stop()]);
      expect(isGone(kafka.pid)).toBe(true);
      expect(isGone(redis.pid)).toBe(true);
      for (const pid of pids) await expectGone(pid);
    }, 60_000);
  });

  describe('startInfra', () => {
    it('starts both services in a run folder and removes it on stop', async () => {
      const stateDir = join(dir, 'state');
      const infra = await startInfra({ stateDir, log: quiet, env: {}, handleSignals: false });
      const pids = [infra.kafka?.pid ?? null, infra.redis?.pid ?? null];
      try {
        expect(infra.owned).toEqual({ kafka: true, redis: true });
        expect(infra.env.KAFKA_BROKERS).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(infra.env.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
        expect(await withRedis(infra.env.REDIS_URL, (client) => client.ping())).toBe('PONG');
        expect(await readdir(stateDir)).toEqual([expect.stringMatching(/^run-\d+-\d{8}-\d{9}$/)]);
      } finally {
        await infra.stop();
      }
      expect(await readdir(stateDir)).toEqual([]);
      for (const pid of pids) await expectGone(pid);
    }, 180_000);

    it('uses services given by KAFKA_BROKERS / REDIS_URL and never stops them', async () => {
      const [kafka, redis] = await Promise.all([startKafka({ dir: join(dir, 'given'), log: quiet }), startRedis({ dir: join(dir, 'given'), log: quiet })]);
      try {
        const infra = await startInfra({ log: quiet, env: { KAFKA_BROKERS: kafka.brokers, REDIS_URL: redis.url } });
        expect(infra.owned).toEqual({ kafka: false, redis: false });
        expect(infra.env).toEqual({ KAFKA_BROKERS: kafka.brokers, REDIS_URL: redis.url });
        await infra.stop();
        expect(kafka.isRunning() && redis.isRunning()).toBe(true);
      } finally {
        await Promise.all([kafka.stop(), redis.stop()]);
      }
    }, 180_000);

    it('names the variable, the address and the fix when a given service does not answer', async () => {
      const port = await unusedPort();
      await expect(startInfra({ log: quiet, env: { KAFKA_BROKERS: `127.0.0.1:${port}` } })).rejects.toThrow(
        `KAFKA_BROKERS=127.0.0.1:${port} does not answer`,
      );
      await expect(startInfra({ log: quiet, env: { KAFKA_BROKERS: `127.0.0.1:${port}` } })).rejects.toThrow(
        'start a broker there or unset KAFKA_BROKERS so the tool starts one',
      );
      await expect(startInfra({ log: quiet, env: { REDIS_URL: `redis://127.0.0.1:${port}` } })).rejects.toThrow(
        `REDIS_URL=redis://127.0.0.1:${port} does not answer`,
      );
    }, 60_000);
  });

  describe('no orphans', () => {
    it('stops the service when its owner is SIGKILLed (watchdog)', async () => {
      const { owner, pid, watchdogPid } = await startOwnerProcess(join(dir, 'sigkill'), 'wait');
      expect(isGone(pid)).toBe(false);
      owner.kill('SIGKILL');
      await expectGone(pid);
      await expectGone(watchdogPid);
    }, 60_000);

    it('stops the service when its owner exits normally (exit hook)', async () => {
      const { owner, pid, watchdogPid } = await startOwnerProcess(join(dir, 'exit'), 'exit');
      const [code] = (await once(owner, 'exit')) as [number | null];
      expect(code).toBe(0);
      await expectGone(pid);
      await expectGone(watchdogPid);
    }, 60_000);
  });
});
