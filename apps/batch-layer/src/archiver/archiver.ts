import type { EachBatchPayload, Kafka } from '@tributary/adapter-kafka';
import {
  archivedNextOffset,
  encodeSegmentRecord,
  type LakePaths,
  removeSegmentTempFiles,
  writeSegment,
} from '@tributary/adapter-lake';
import type { Logger } from '@tributary/runtime';
import type { BatchMetrics } from '../batch-metrics';
import { SegmentBuffer } from './segment-buffer';

/** The consumer group of the archiver on a topic. */
export const archiverGroupId = (topic: string) => `tributary-archiver.${topic}`;

export interface ArchiverOptions {
  kafka: Kafka;
  topic: string;
  paths: LakePaths;
  maxSegmentBytes: number;
  maxSegmentAgeMs: number;
  sessionTimeoutMs: number;
  metrics: BatchMetrics;
  logger: Logger;
}

interface PartitionState {
  /** Next offset to take from Kafka: everything below is on disk or in `buffer`. */
  next: bigint;
  /** Everything below is in segments on disk. */
  archived: bigint;
  buffer: SegmentBuffer;
  /** The offset we last asked Kafka to seek to, to accept a gap in the log there. */
  seekedTo?: bigint;
  /** Where the log has a gap (retention, compaction) that the next segment may start after. */
  gapAt?: bigint;
  /** Serializes the batches, timer flushes and requested flushes of this partition. */
  lock: Promise<unknown>;
}

export interface Archiver {
  start(): Promise<void>;
  /** Writes every buffered message to disk now; resolves with the next offset per partition. */
  flush(): Promise<Map<number, bigint>>;
  stop(): Promise<void>;
}

/**
 * Copies the events topic, byte for byte, into segments `raw/kafka/topic=<t>/partition=<p>/<first>-<last>.ndjson`.
 *
 * Offsets live with the data: when it gets a partition, the archiver reads where the segments on
 * disk end and seeks Kafka there (Kafka's committed offsets are only a hint). Messages wait in memory
 * until the segment is due (size or age), then go to disk in one atomic write (temp, fsync, rename).
 * A crash loses only the buffer, which is read again from Kafka after the restart, so segments never
 * leave a gap or overlap. After every rebalance the archiver forgets the partitions it lost and reads
 * the disk again for those it (still) has, so an instance taking a partition over continues exactly
 * where the previous owner's segments end.
 */
export function createArchiver(options: ArchiverOptions): Archiver {
  const { kafka, topic, paths, metrics, logger } = options;
  const limits = { maxBytes: options.maxSegmentBytes, maxAgeMs: options.maxSegmentAgeMs };
  const consumer = kafka.consumer({
    groupId: archiverGroupId(topic),
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3))),
    maxWaitTimeInMs: 250,
  });
  const partitions = new Map<number, PartitionState>();
  const highWatermarks = new Map<number, bigint>();
  let timer: NodeJS.Timeout | undefined;

  const withLock = <T>(state: PartitionState, task: () => Promise<T>): Promise<T> => {
    const run = state.lock.then(task, task);
    state.lock = run.catch(() => undefined);
    return run;
  };

  async function stateOf(partition: number): Promise<PartitionState> {
    let state = partitions.get(partition);
    if (state === undefined) {
      const removed = await removeSegmentTempFiles(paths, topic, partition);
      const next = await archivedNextOffset(paths, topic, partition);
      state = partitions.get(partition);
      if (state !== undefined) return state;
      state = { next, archived: next, buffer: new SegmentBuffer(), lock: Promise.resolve() };
      partitions.set(partition, state);
      updateGauges(partition, state);
      logger.info({ partition, resumeAt: next.toString(), removedTempFiles: removed }, 'archiver resumes partition from disk');
    }
    return state;
  }

  function updateGauges(partition: number, state: PartitionState): void {
    const label = { partition: String(partition) };
    metrics.archivedOffset.set(label, Number(state.archived));
    const high = highWatermarks.get(partition);
    if (high !== undefined) metrics.archiveLag.set(label, Math.max(0, Number(high - state.archived)));
  }

  /** Writes the buffer as one segment (call under the partition's lock). */
  async function flushPartition(partition: number, state: PartitionState): Promise<void> {
    if (state.buffer.isEmpty) return;
    // We own the partition since `stateOf` read where its archive ends; `archived` follows our writes.
    const onDisk = state.archived;
    const first = state.buffer.first as bigint;
    if (onDisk < first && state.gapAt !== onDisk) {
      // Someone removed segments, or our view of the disk is wrong: never write a gap; start over.
      logger.error({ partition, onDisk: onDisk.toString(), bufferFirst: first.toString() }, 'archive ends before the buffered messages: re-reading from disk');
      state.buffer.clear();
      partitions.delete(partition);
      return;
    }
    const segment = state.buffer.take(onDisk);
    if (segment === undefined) {
      state.archived = onDisk;
      if (state.next < onDisk) state.next = onDisk;
      return;
    }
    await writeSegment(paths, topic, partition, segment);
    state.archived = BigInt(segment.last) + 1n;
    state.gapAt = undefined;
    metrics.segments.inc();
    metrics.archivedMessages.inc(segment.lines.length);
    updateGauges(partition, state);
    logger.debug({ partition, first: segment.first, last: segment.last, messages: segment.lines.length }, 'segment written');
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    highWatermarks.set(partition, BigInt(batch.highWatermark));
    if (batch.isEmpty()) return;
    const state = await stateOf(partition);
    await withLock(state, async () => {
      if (!isRunning() || isStale() || partitions.get(partition) !== state) return;
      const firstOffset = BigInt(batch.firstOffset() as string);
      const lastOffset = BigInt(batch.lastOffset());
      const misplaced = firstOffset > state.next || lastOffset < state.next;
      if (misplaced && state.seekedTo !== state.next) {
        // Kafka resumed elsewhere than the end of our archive (its committed offsets are a hint): go there.
        logger.info({ partition, archiveNext: state.next.toString(), fetched: firstOffset.toString() }, 'seeking to the end of the archive');
        state.seekedTo = state.next;
        consumer.seek({ topic, partition, offset: state.next.toString() });
        return;
      }
      if (firstOffset > state.next) {
        // We fetched from where the archive ends and the log starts later: retention or compaction.
        logger.warn({ partition, archiveNext: state.next.toString(), logFrom: firstOffset.toString() }, 'the log has a gap after the end of the archive');
        if (state.buffer.isEmpty) state.gapAt = state.archived;
      }
      const now = Date.now();
      for (const message of batch.messages) {
        const offset = BigInt(message.offset);
        if (offset < state.next) continue; // already archived or buffered
        const line = encodeSegmentRecord({ offset: message.offset, timestamp: message.timestamp, key: message.key ?? null, value: message.value ?? null });
        state.buffer.add(offset, line, now);
        state.next = offset + 1n;
        if (state.buffer.bytes >= limits.maxBytes) {
          await flushPartition(partition, state);
          await heartbeat();
        }
      }
      state.seekedTo = undefined;
      resolveOffset(batch.lastOffset());
      if (state.buffer.isDue(Date.now(), limits)) await flushPartition(partition, state);
      updateGauges(partition, state);
    });
    await heartbeat();
  }

  async function flushDue(force: boolean): Promise<void> {
    await Promise.all(
      [...partitions].map(([partition, state]) =>
        withLock(state, async () => {
          if (force ? !state.buffer.isEmpty : state.buffer.isDue(Date.now(), limits)) await flushPartition(partition, state);
        }),
      ),
    );
  }

  return {
    async start() {
      await consumer.connect();
      // After a (re)join, forget every partition: another member may have owned one meanwhile (even
      // one we get back), so whoever owns it now resumes from what is on disk.
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const state of partitions.values()) state.buffer.clear();
        partitions.clear();
      });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: true, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 8, eachBatch });
      const tick = Math.max(50, Math.min(1_000, Math.floor(limits.maxAgeMs / 4)));
      timer = setInterval(() => {
        flushDue(false).catch((err: unknown) => logger.error({ err }, 'archiver flush failed'));
      }, tick);
    },
    async flush() {
      await flushDue(true);
      return new Map([...partitions].map(([p, s]) => [p, s.archived]));
    },
    async stop() {
      if (timer) clearInterval(timer);
      await consumer.disconnect();
      await flushDue(true);
    },
  };
}
