/**
 * Produce-ack → applied-in-Redis latency at a steady rate.
 *
 * A paced producer in a child process (latency-producer.ts) reports, for every acked send and
 * partition, the offset of the last event it put there with its send and ack times.
 *
 * The main thread polls the speed store's offsets hash (`HGETALL <prefix>:offsets:<topic>`) every
 * POLL_MS on its own connection. The Lua apply writes a partition's next offset in the same atomic
 * call as the states, so `stored > last` means every event of that send is queryable. The latency of
 * a (send, partition) sample is (time the first poll showing it returned) − (ack time), clamped at 0
 * (the consumer can apply a batch before the producer has processed the broker's ack). The poll
 * period bounds the resolution: figures are over-estimated by up to POLL_MS plus one Redis round trip.
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AckMessage, DoneMessage, LatencyProducerInput } from './latency-producer';
import { percentile, withTimeout } from './support';

const clock = () => performance.timeOrigin + performance.now();

interface PendingSend {
  last: bigint;
  sentAt: number;
  ackAt: number;
}

export interface LatencyResult {
  targetRate: number;
  seconds: number;
  produced: number;
  /** Events acked per second over the producing period. */
  achievedRate: number;
  sends: number;
  polls: number;
  /** Mean time between polls, ms. */
  pollPeriodMs: number;
  /** One sample per acked send and partition, sorted ascending, in ms. */
  ackToApplied: number[];
  sendToApplied: number[];
  /** Samples never seen applied before the drain timeout. */
  unresolved: number;
  produceErrors: number;
}

export const summarize = (sorted: readonly number[]) => ({
  p50: percentile(sorted, 50),
  p95: percentile(sorted, 95),
  p99: percentile(sorted, 99),
  max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
});

export async function measureLatency(options: {
  brokers: string[];
  redis: Redis;
  offsetsKey: string;
  topic: string;
  partitions: number;
  rate: number;
  seconds: number;
  pollMs: number;
  runId: string;
  firstSequence: number;
  drainTimeoutMs: number;
}): Promise<LatencyResult> {
  const { redis, offsetsKey, partitions, pollMs } = options;
  const pending: PendingSend[][] = Array.from({ length: partitions }, () => []);
  const ackToApplied: number[] = [];
  const sendToApplied: number[] = [];
  let polls = 0;

  // The poller: resolves pending samples as soon as the stored offsets pass them.
  let polling = true;
  const pollStart = clock();
  const poller = (async () => {
    while (polling) {
      const started = clock();
      const stored = await redis.hgetall(offsetsKey);
      const seenAt = clock();
      polls++;
      for (let p = 0; p < partitions; p++) {
        const list = pending[p] as PendingSend[];
        if (list.length === 0) continue;
        const next = BigInt(stored[String(p)] ?? '0');
        if (!list.some((send) => next > send.last)) continue;
        const keep: PendingSend[] = [];
        for (const send of list) {
          if (next > send.last) {
            ackToApplied.push(Math.max(0, seenAt - send.ackAt));
            sendToApplied.push(seenAt - send.sentAt);
          } else keep.push(send);
        }
        pending[p] = keep;
      }
      const wait = pollMs - (clock() - started);
      if (wait > 0) await sleep(wait);
    }
  })();

  const input: LatencyProducerInput = {
    brokers: options.brokers,
    topic: options.topic,
    partitions,
    rate: options.rate,
    seconds: options.seconds,
    runId: options.runId,
    firstSequence: options.firstSequence,
  };
  const producer = fork(fileURLToPath(new URL('./latency-producer.ts', import.meta.url)), [JSON.stringify(input)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => producer.once('exit', () => resolve()));
  let done: DoneMessage | undefined;
  const finished = new Promise<DoneMessage>((resolve, reject) => {
    producer.on('message', (message: AckMessage | DoneMessage) => {
      if (message.type === 'ack') {
        for (const [partition, last] of message.parts) pending[partition]?.push({ last: BigInt(last), sentAt: message.sentAt, ackAt: message.ackAt });
      } else {
        done = message;
        resolve(message);
      }
    });
    producer.once('error', reject);
    producer.once('exit', (code) => {
      exited = true;
      if (!done) reject(new Error(`the latency producer exited with ${code} before it finished`));
    });
  });

  try {
    const result = await withTimeout(finished, options.seconds * 1000 + 90_000, 'the latency producer did not finish');
    // Drain: every acked send seen applied, or the timeout.
    const drainDeadline = clock() + options.drainTimeoutMs;
    while (clock() < drainDeadline && pending.some((list) => list.length > 0)) await sleep(20);
    if (result.firstError) process.stderr.write(`[bench] ${result.errors} produce errors during the latency phase; first: ${result.firstError}\n`);
    return {
      targetRate: options.rate,
      seconds: options.seconds,
      produced: result.acked,
      achievedRate: result.acked / Math.max(result.seconds, options.seconds),
      sends: result.sends,
      polls,
      pollPeriodMs: (clock() - pollStart) / Math.max(1, polls),
      ackToApplied: ackToApplied.sort((a, b) => a - b),
      sendToApplied: sendToApplied.sort((a, b) => a - b),
      unresolved: pending.reduce((n, list) => n + list.length, 0),
      produceErrors: result.errors,
    };
  } finally {
    polling = false;
    await poller;
    if (!exited) {
      await withTimeout(exit, 15_000, 'the latency producer did not exit').catch(() => {
        producer.kill('SIGKILL');
      });
    }
  }
}
