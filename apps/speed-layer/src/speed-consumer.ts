import type { DeadLetter, DeadLetterSink, EachBatchPayload, Kafka } from '@tributary/adapter-kafka';
import type { SpeedStore } from '@tributary/adapter-redis';
import type { EventValidator, ViewAggregator } from '@tributary/core';
import type { Logger } from '@tributary/runtime';
import { aggregateBatch, type AggregatedBatch } from './aggregate-batch';
import { decodeBatch, type ReceivedEvent } from './decode-batch';
import type { SpeedMetrics } from './speed-metrics';

export interface SpeedConsumerDeps {
  kafka: Kafka;
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  store: SpeedStore;
  aggregators: readonly ViewAggregator[];
  validator: EventValidator;
  deadLetters: DeadLetterSink;
  /** Rebuilds the store when Redis lost it; resolves once it is usable again. */
  recover: (reason: string) => Promise<void>;
  metrics: SpeedMetrics;
  logger: Logger;
}

/** How a partition batch's apply ended. */
type Outcome = { kind: 'applied' } | { kind: 'moved'; to: string } | { kind: 'stopped' } | { kind: 'failed'; error: unknown };

/** A decoded partition batch on its way to Redis. */
interface PendingBatch {
  partition: number;
  first: string;
  next: string;
  highWatermark: string;
  events: ReceivedEvent[];
  deadLetters: DeadLetter[];
  /** Pre-aggregated for `generation`; done again when the generation moved or ids were excluded. */
  aggregated: { generation: number; batch: AggregatedBatch } | undefined;
  isRunning: () => boolean;
  isStale: () => boolean;
}

/**
 * The speed layer's Kafka consumer. Each partition batch is decoded, its rejects written to the
 * dead-letter topic, pre-aggregated and applied by one Lua call that checks and moves the
 * partition's offset in Redis — so a batch counts once whatever crashes or rebalances happen.
 * Redis, not Kafka, holds the offsets: when the store's offset differs from the batch, the
 * consumer skips what is applied or seeks back to what is not.
 */
export function createSpeedConsumer(deps: SpeedConsumerDeps) {
  const { kafka, topic, store, metrics, logger } = deps;
  const consumer = kafka.consumer({
    groupId: deps.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: deps.sessionTimeoutMs,
    rebalanceTimeout: Math.max(deps.sessionTimeoutMs, 10_000),
    heartbeatInterval: Math.max(100, Math.min(3_000, Math.floor(deps.sessionTimeoutMs / 5))),
  });
  const seekedTo = new Map<number, string>();
  let generation = 0;
  let counted = store.registerCacheStats();

  function countRegisters(): void {
    const now = store.registerCacheStats();
    metrics.registers.inc({ outcome: 'sent' }, now.sent - counted.sent);
    metrics.registers.inc({ outcome: 'skipped' }, now.skipped - counted.skipped);
    metrics.fences.inc(now.fences - counted.fences);
    counted = now;
  }

  /** Per partition, the apply of its last batch, still running or done. */
  const applying = new Map<number, Promise<Outcome>>();

  /**
   * Decodes and pre-aggregates one partition batch, then hands it to that partition's apply (which
   * starts once the partition's previous apply is done) and returns, so kafkajs fetches the next
   * batch while Redis applies this one. Its offset is resolved for kafkajs right away: Redis holds
   * the offsets that count, and an apply that does not go through ("stale") seeks the partition
   * back to the offset stored there, so this stays exactly once.
   */
  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const partition = batch.partition;
    const messages = batch.messages;
    const decoded = decodeBatch(partition, messages, deps.validator);
    metrics.consumed.inc(messages.length);
    const work: PendingBatch = {
      partition,
      first: messages[0]?.offset as string,
      next: (BigInt(batch.lastOffset()) + 1n).toString(),
      highWatermark: batch.highWatermark,
      events: decoded.events,
      deadLetters: decoded.deadLetters,
      aggregated: { generation, batch: aggregateBatch(deps.aggregators, decoded.events) },
      isRunning,
      isStale,
    };

    const previous = applying.get(partition);
    if (previous !== undefined) {
      const outcome = await previous;
      if (applying.get(partition) === previous) applying.delete(partition);
      // "moved": the previous apply seeked the partition; a batch from the old position is dropped.
      if (outcome.kind === 'moved' && BigInt(outcome.to) !== BigInt(work.first)) return;
      if (outcome.kind === 'stopped') return;
      // Thrown by the previous apply: kafkajs retries (with backoff) from this batch, whose apply
      // then finds the offset stored in Redis before it and seeks there.
      if (outcome.kind === 'failed') throw outcome.error;
    }
    if (!isRunning() || isStale()) return;
    const task = applyBatch(work).catch((error: unknown): Outcome => {
      logger.error({ err: error, partition }, 'applying a batch failed; its partition resumes from the offset stored in Redis');
      return { kind: 'failed', error };
    });
    applying.set(partition, task);
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  async function applyBatch(work: PendingBatch): Promise<Outcome> {
    const { partition, next } = work;
    let { first, events } = work;
    let aggregated = work.aggregated;
    const exclude = new Set<string>();
    let rejectsSent = false;
    for (;;) {
      if (!work.isRunning() || work.isStale()) return { kind: 'stopped' };
      if (!rejectsSent) {
        // Confirmed by the broker before the batch that held them is applied.
        await deps.deadLetters.send(work.deadLetters.filter((d) => BigInt(d.sourceOffset) >= BigInt(first)));
        rejectsSent = true;
      }
      if (aggregated === undefined || aggregated.generation !== generation) {
        aggregated = { generation, batch: aggregateBatch(deps.aggregators, events, exclude) };
      }
      const { batch } = aggregated;
      const stop = metrics.applySeconds.startTimer();
      const result = await store.applyBatch({
        partition,
        first,
        next,
        generation: aggregated.generation,
        ids: batch.ids,
        views: batch.views,
        now: Date.now(),
      });
      stop();
      countRegisters();
      switch (result.status) {
        case 'ok':
          metrics.applied.inc(batch.ids.length);
          metrics.deduplicated.inc(batch.duplicates);
          metrics.rejected.inc(work.deadLetters.length);
          metrics.lag.set({ partition: String(partition) }, Number(BigInt(work.highWatermark) - BigInt(next)));
          seekedTo.delete(partition);
          return { kind: 'applied' };
        case 'gen':
          metrics.conflicts.inc({ kind: 'gen' });
          generation = result.generation;
          break;
        case 'dup':
          metrics.conflicts.inc({ kind: 'dup' });
          for (const id of result.ids) exclude.add(id);
          aggregated = undefined;
          break;
        case 'lost':
          await deps.recover('Redis lost the speed store (marker key gone)');
          generation = await store.generation();
          break;
        case 'stale': {
          metrics.conflicts.inc({ kind: 'stale' });
          const stored = BigInt(result.storedOffset);
          if (stored > BigInt(first) && stored < BigInt(next)) {
            // Part of this batch was applied (under another batch boundary): apply the rest.
            events = events.filter((e) => BigInt(e.offset) >= stored);
            first = result.storedOffset;
            aggregated = undefined;
            break;
          }
          if (stored < BigInt(first) && seekedTo.get(partition) === result.storedOffset) {
            // We fetched from the stored offset and the log has a gap there (e.g. control records).
            first = result.storedOffset;
            break;
          }
          if (stored === BigInt(next)) return { kind: 'applied' };
          logger.info({ partition, batchFirst: first, stored: result.storedOffset }, 'seeking to the offset stored in Redis');
          seekedTo.set(partition, result.storedOffset);
          consumer.seek({ topic, partition, offset: result.storedOffset });
          return { kind: 'moved', to: result.storedOffset };
        }
      }
    }
  }

  async function seekToStored(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    const stored = await store.offsets();
    for (const partition of partitions) {
      const offset = stored[String(partition)];
      if (offset !== undefined) consumer.seek({ topic, partition, offset });
    }
  }

  return {
    consumer,
    async start(): Promise<void> {
      generation = await store.generation();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      // Kafka's committed offsets may be ahead of Redis (they are resolved before the apply) or
      // behind it: each assigned partition starts at the offset stored in Redis.
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const partitions = payload.memberAssignment[topic] ?? [];
        void seekToStored(partitions).catch((error: unknown) => logger.warn({ err: error }, 'could not read the offsets stored in Redis after a rebalance'));
      });
      // Redis holds the offsets that count; Kafka's committed offsets only inform monitoring, so they
      // are committed every few seconds rather than after each batch (one broker round trip saved).
      await consumer.run({ autoCommit: true, autoCommitInterval: 5_000, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch });
    },
    /** Leaves the group once the running batches are handed over, then waits for their applies. */
    async stop(): Promise<void> {
      await consumer.disconnect();
      await Promise.all(applying.values());
    },
  };
}
