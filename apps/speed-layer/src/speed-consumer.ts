import type { DeadLetterSink, EachBatchPayload, Kafka } from '@tributary/adapter-kafka';
import type { SpeedStore } from '@tributary/adapter-redis';
import type { EventValidator, ViewAggregator } from '@tributary/core';
import type { Logger } from '@tributary/runtime';
import { aggregateBatch } from './aggregate-batch';
import { decodeBatch } from './decode-batch';
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

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const partition = batch.partition;
    const messages = batch.messages;
    let first = messages[0]?.offset as string;
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    const decoded = decodeBatch(partition, messages, deps.validator);
    const deadLetters = decoded.deadLetters;
    let events = decoded.events;
    metrics.consumed.inc(messages.length);

    const exclude = new Set<string>();
    let rejectsSent = false;
    for (;;) {
      if (!isRunning() || isStale()) return;
      if (!rejectsSent) {
        // Confirmed by the broker before the batch that held them is applied.
        await deps.deadLetters.send(deadLetters.filter((d) => BigInt(d.sourceOffset) >= BigInt(first)));
        rejectsSent = true;
      }
      const aggregated = aggregateBatch(deps.aggregators, events, exclude);
      const stop = metrics.applySeconds.startTimer();
      const result = await store.applyBatch({
        partition,
        first,
        next,
        generation,
        ids: aggregated.ids,
        views: aggregated.views,
        now: Date.now(),
      });
      stop();
      countRegisters();
      switch (result.status) {
        case 'ok':
          metrics.applied.inc(aggregated.ids.length);
          metrics.deduplicated.inc(aggregated.duplicates);
          metrics.rejected.inc(deadLetters.length);
          metrics.lag.set({ partition: String(partition) }, Number(BigInt(batch.highWatermark) - BigInt(next)));
          seekedTo.delete(partition);
          resolveOffset(batch.lastOffset());
          await heartbeat();
          return;
        case 'gen':
          metrics.conflicts.inc({ kind: 'gen' });
          generation = result.generation;
          break;
        case 'dup':
          metrics.conflicts.inc({ kind: 'dup' });
          for (const id of result.ids) exclude.add(id);
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
            break;
          }
          if (stored < BigInt(first) && seekedTo.get(partition) === result.storedOffset) {
            // We fetched from the stored offset and the log has a gap there (e.g. control records).
            first = result.storedOffset;
            break;
          }
          if (stored === BigInt(next)) {
            resolveOffset(batch.lastOffset());
            return;
          }
          logger.info({ partition, batchFirst: first, stored: result.storedOffset }, 'seeking to the offset stored in Redis');
          seekedTo.set(partition, result.storedOffset);
          consumer.seek({ topic, partition, offset: result.storedOffset });
          return;
        }
      }
      await heartbeat();
    }
  }

  return {
    consumer,
    async start(): Promise<void> {
      generation = await store.generation();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      // Redis holds the offsets that count; Kafka's committed offsets only inform monitoring, so they
      // are committed every few seconds rather than after each batch (one broker round trip saved).
      await consumer.run({ autoCommit: true, autoCommitInterval: 5_000, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch });
    },
    stop: () => consumer.disconnect(),
  };
}
