import { partitionOffsets, type Admin } from '@tributary/adapter-kafka';
import { lakeExtras, listSegments, readCurrentVersion, readSegment, type LakePaths } from '@tributary/adapter-lake';
import type { SpeedStore } from '@tributary/adapter-redis';
import type { EventValidator } from '@tributary/core';
import type { Logger } from '@tributary/runtime';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
 *   - the dedup window is reseeded with the ids of valid archived events received within it, and
 *     with those of inbox files ingested within it (a later Kafka copy of a file row counts once).
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
  return count + (await reseedFileIds(deps, since, now));
}

/** Adds the ids of inbox files ingested (received) within the window: `raw/file-ids/`, written at ingestion. */
async function reseedFileIds(deps: RecoveryDeps, since: number, now: number): Promise<number> {
  const extras = lakeExtras(deps.paths);
  let metas: string[];
  try {
    metas = (await readdir(extras.fileMeta)).filter((name) => name.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let count = 0;
  for (const name of metas) {
    const meta = JSON.parse(await readFile(join(extras.fileMeta, name), 'utf8')) as { file: string; receivedAt: number };
    if (meta.receivedAt < since) continue;
    let entries: Array<{ id: string; receivedAt: number }> = [];
    const flush = async () => {
      await deps.store.rememberIds(entries, now);
      count += entries.length;
      entries = [];
    };
    try {
      const lines = createInterface({ input: createReadStream(extras.fileIdsOf(meta.file), 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.length === 0) continue;
        entries.push({ id: JSON.parse(line) as string, receivedAt: meta.receivedAt });
        if (entries.length >= 5_000) await flush();
      }
    } catch (err) {
      // A file ingested before ids were kept with it has none to reseed.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await flush();
  }
  return count;
}
