import { integrationEnv, uniqueName, waitFor } from '@tributary/testing';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appEnv, cleanUp, createTopic, highWatermarks, kafkaFor, readArchive, startApp, tempLake, type AppProcess } from './support';

// The archiver is SIGKILLed at random moments while events flow in; after a last, clean start, every
// partition's segments must hold each offset from 0 to the high watermark - 1 exactly once, in
// order, with the original bytes — no gap, no overlap, no half-written segment.
const { kafkaBrokers, redisUrl } = integrationEnv();
const topic = uniqueName('archiver');
const prefix = uniqueName('arch').replaceAll('-', '').slice(0, 40);
const PARTITIONS = 3;
const KILLS = 5;
const lake = await tempLake();
const kafka = kafkaFor(kafkaBrokers);
const producer = kafka.producer({ allowAutoTopicCreation: false });
const processes: AppProcess[] = [];

afterAll(async () => {
  for (const p of processes) await p.kill('SIGKILL');
  await producer.disconnect();
  await cleanUp({ kafka, topic, redisUrl, prefix });
  await lake.remove();
});

describe('archiver under SIGKILL', () => {
  it('leaves segments without gap or overlap', async () => {
    await createTopic(kafka, topic, PARTITIONS);
    await producer.connect();
    const env = appEnv(
      { brokers: kafkaBrokers, redisUrl, topic, prefix, lakeDir: lake.dir, partitions: PARTITIONS },
      { ARCHIVE_SEGMENT_MAX_BYTES: '4096', ARCHIVE_SEGMENT_MAX_AGE_MS: '150' },
    );
    const logFile = join(tmpdir(), 'tributary-test-logs', `${topic}.log`);

    let produced = 0;
    let producing = true;
    const producerLoop = (async () => {
      while (producing) {
        const messages = Array.from({ length: 25 }, () => {
          const n = produced++;
          // Every 50th message is not UTF-8: the archive keeps its bytes too.
          const value = n % 50 === 49 ? Buffer.from([0xff, 0xfe, n % 256]) : Buffer.from(JSON.stringify({ id: `e${n}`, type: 'signup', ts: 1_763_892_000_000 + n }));
          return { key: `k${n % 7}`, value };
        });
        await producer.send({ topic, messages });
        await new Promise<void>((resolve) => setTimeout(resolve, 20)); // ~1000 events/s
      }
    })();

    const segmentCount = async () => {
      let total = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        try {
          total += (await readdir(join(lake.dir, 'raw', 'kafka', `topic=${topic}`, `partition=${p}`))).filter((n) => n.endsWith('.ndjson')).length;
        } catch {
          // not yet created
        }
      }
      return total;
    };

    for (let i = 0; i < KILLS; i++) {
      const before = await segmentCount();
      const app = await startApp('batch-layer', env, logFile);
      processes.push(app);
      // Kill it once it has archived something new, at a random moment after that.
      await waitFor(async () => (await segmentCount()) > before + 2, { timeoutMs: 60_000, description: `segments after start ${i + 1}` });
      await new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * 400)));
      expect(await app.kill('SIGKILL')).toBeNull();
    }
    producing = false;
    await producerLoop;

    const final = await startApp('batch-layer', env, logFile);
    processes.push(final);
    const high = await highWatermarks(kafka, topic);
    expect([...high.values()].reduce((a, b) => a + b, 0n)).toBe(BigInt(produced));
    await waitFor(
      async () => {
        const archive = await readArchive(lake.dir, topic, PARTITIONS);
        return [...high].every(([p, h]) => (archive.get(p)?.segments.at(-1)?.last ?? -1n) + 1n === h);
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'the archive to reach the high watermarks' },
    );
    expect(await final.kill('SIGTERM')).toBe(0);

    const archive = await readArchive(lake.dir, topic, PARTITIONS);
    const ids = new Set<string>();
    let nonUtf8 = 0;
    for (const [p, h] of high) {
      const { segments, offsets, values } = archive.get(p) as NonNullable<ReturnType<typeof archive.get>>;
      expect(segments.length, `partition ${p} has several segments`).toBeGreaterThan(3);
      segments.forEach((s, i) => expect(s.first, `partition ${p} segment ${i} starts where the previous ended`).toBe(i === 0 ? 0n : (segments[i - 1]?.last ?? 0n) + 1n));
      expect(offsets).toEqual(Array.from({ length: Number(h) }, (_, i) => BigInt(i)));
      for (const value of values) {
        if (value === null) nonUtf8++;
        else ids.add((JSON.parse(value) as { id: string }).id);
      }
      const leftovers = (await readdir(join(lake.dir, 'raw', 'kafka', `topic=${topic}`, `partition=${p}`))).filter((n) => !n.endsWith('.ndjson'));
      expect(leftovers, 'no temp files left').toEqual([]);
    }
    expect(ids.size + nonUtf8).toBe(produced);
    expect(nonUtf8).toBe(Math.floor(produced / 50));
  });
});
