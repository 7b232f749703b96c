import { partitionOffsets, type Admin } from '@tributary/adapter-kafka';
import { listSegments, readCurrentVersion, readSegment, type LakePaths } from '@tributary/adapter-lake';
import type { SpeedStore } from '@tributary/adapter-redis';
import type { EventValidator } from '@tributary/core';
import type { Logger } from '@tributary/runtime';
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpeedMetrics } from './speed-metrics';

export interface RecoveryDeps {
  store: SpeedStore;
  admin: Admin;
  topic: string;
  groupId: string;
  paths: LakePaths;
  validator: EventValidator;
  dedupWindowMs: number;
  metrics: SpeedMetrics;
  logger: Logger;
}

/**
 * Makes sure Redis holds the speed store. When its marker is missing — first start, or Redis lost
 * its data — one instance (under a lock) rebuilds it from the lake, Redis being a cache:
 *   - generation = the published batch version's generation + 1;
 *   - each partition resumes at the published cut (or the log's start when there is none), so
 *     everything after the batch view is replayed from Kafka into the new generation;
 *   - the dedup window is reseeded with the ids of valid archived events received within it.
 * Other instances wait for the marker.
 */
export async function ensureSpeedStore(deps: RecoveryDeps, reason: string): Promise<void> {
  const { store } = deps;
  const token = randomUUID();
  while (!(await store.isInitialized())) {
    if (!(await store.acquireRecoveryLock(token, 120_000))) {
      await sleep(200);
      continue;
    }
    try {
      if (await store.isInitialized()) return;
      await rebuild(deps, reason, token);
    } finally {
      await store.releaseRecoveryLock(token);
    }
  }
}

async function rebuild(deps: RecoveryDeps, reason: string, token: string): Promise<void> {
  const { store, admin, topic, paths, logger, metrics } = deps;
  const started = Date.now();
  const current = await readCurrentVersion(paths);
  const committed = await admin.fetchOffsets({ groupId: deps.groupId, topics: [topic] });
  const hadState = current !== undefined || committed.some((t) => t.partitions.some((p) => p.offset !== '-1'));
  const logs = await partitionOffsets(admin, topic);

  const offsets: Record<string, string> = {};
  for (const [partition, { low }] of logs) {
    const cut = current?.cut[String(partition)];
    if (cut !== undefined && BigInt(cut) < BigInt(low)) {
      logger.error({ partition, cut, low }, 'Kafka no longer holds the events after the batch cut: retention must exceed two batch intervals; resuming at the log start');
    }
    offsets[String(partition)] = cut !== undefined && BigInt(cut) >= BigInt(low) ? cut : low;
  }

  const reseeded = await reseedDedupWindow(deps, offsets);
  const generation = (current?.generation ?? 0) + 1;
  const result = await store.initialize({
    generation,
    offsets,
    ...(current ? { pointer: { version: current.version, generation: current.generation, cut: current.cut, completedAt: current.completedAt } } : {}),
    // Unique per rebuild: the register cache of every instance is fenced by this value.
    marker: JSON.stringify({ by: `${hostname()}:${process.pid}`, at: new Date().toISOString(), generation, rebuild: token }),
  });
  if (result !== 'initialized') return;
  metrics.rebuilds.inc({ reason: hadState ? 'lost' : 'first-start' });
  const details = { generation, offsets, batchVersion: current?.version ?? null, reseededIds: reseeded, ms: Date.now() - started };
  if (hadState) logger.error({ ...details, reason }, 'REDIS LOST THE SPEED STORE: rebuilt it from the lake; replaying Kafka from the batch cut');
  else logger.info(details, 'speed store initialized');
}

/** Adds the ids of valid archived events received within the window (and below `offsets`). */
async function reseedDedupWindow(deps: RecoveryDeps, offsets: Record<string, string>): Promise<number> {
  if (deps.dedupWindowMs <= 0) return 0;
  const now = Date.now();
  const since = now - deps.dedupWindowMs;
  let count = 0;
  for (const [partition, below] of Object.entries(offsets)) {
    const segments = await listSegments(deps.paths, deps.topic, Number(partition));
    const limit = BigInt(below);
    for (const segment of segments) {
      if (segment.range.first >= limit) break;
      // A segment is written after its last message arrived: one older than the window holds no id of it.
      if ((await stat(segment.path)).mtimeMs < since) continue;
      const entries: Array<{ id: string; receivedAt: number }> = [];
      for await (const record of readSegment(segment.path)) {
        const receivedAt = Number(record.timestamp);
        if (BigInt(record.offset) >= limit || receivedAt < since || record.value === null) continue;
        const result = deps.validator.parse(record.value, receivedAt);
        if (result.ok) entries.push({ id: result.event.id, receivedAt });
      }
      await deps.store.rememberIds(entries, now);
      count += entries.length;
    }
  }
  return count;
}
