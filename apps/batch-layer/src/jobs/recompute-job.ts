import { openDuckDB } from '@tributary/adapter-duckdb';
import { readCurrentVersion, writeCurrentVersion, type LakeExtras, type LakePaths } from '@tributary/adapter-lake';
import type { RecomputeResult, RunContext } from '@tributary/adapter-queue';
import { SpeedStoreLostError, type PartitionOffsets, type SpeedStore } from '@tributary/adapter-redis';
import { eventProjection, viewFingerprint, type EventValidator, type ViewDefinition } from '@tributary/core';
import type { Logger } from '@tributary/runtime';
import { link, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchMetrics } from '../batch-metrics';
import { BatchInputError, BatchRetriableError } from './batch-errors';
import type { BatchContext } from './batch-context';
import { computeViews, countEventsByType, masterSourceSql, viewFile } from './compute-views';
import { ingestInbox, type InboxResult } from './inbox';
import { writeJsonAtomic } from './line-file';
import { inputCounts, normalizedInputs } from './master-dataset';
import { commitVersionDir, pruneVersions, stagingName, versionName } from './versions';
import { waitForArchive } from './wait-for-archive';

export interface RecomputeDeps {
  topic: string;
  paths: LakePaths;
  extras: LakeExtras;
  views: readonly ViewDefinition[];
  validator: EventValidator;
  normalizationKey: string;
  store: SpeedStore;
  /** Writes what the local archiver buffers (absent when this process runs none). */
  flushArchive?: () => Promise<unknown>;
  archiveWaitMs: number;
  keepVersions: number;
  /** Drops the speed generations a published version covers, after the grace for in-flight reads. */
  dropCovered: (generation: number) => Promise<void>;
  metrics: BatchMetrics;
  logger: Logger;
}

/** `views/<version>/manifest.json`. */
export interface Manifest {
  version: string;
  generation: number;
  cut: PartitionOffsets;
  topic: string;
  normalizationKey: string;
  startedAt: string;
  completedAt: string;
  request: { views: string[] | null; reason: string | null; runId: string };
  views: Record<string, { file: string; fingerprint: string; rows: number; computedIn: string }>;
  inputs: { segments: number; files: string[] };
  ingested: string[];
  refused: Array<{ file: string; reason: string }>;
  stats: RecomputeResult['stats'];
  durationsMs: Record<string, number>;
}

/**
 * One batch run (DESIGN.md "The seam", steps 2–5):
 *   1. ingest the inbox (before the cut: see docs/batch-layer.md, "files and the seam");
 *   2. cut: the speed layer moves to generation g + 1, and the cut offsets bound what the run reads;
 *   3. wait until the archive holds every offset below the cut;
 *   4. normalize what the cache lacks; 5. compute every view with DuckDB, deduplicated by id over all
 *      of the master dataset, into a staging folder renamed to `views/<version>/`;
 *   6. publish: CURRENT.json atomically, then the Redis pointer; 7. drop covered generations, prune.
 * A run for some views only recomputes them at the published cut (no cut, no ingestion) and carries
 * the other views over, so every view of a version covers the same generation.
 * Nothing is published before step 6: a run failing earlier leaves the current version serving.
 */
export function createRecomputeRunner(deps: RecomputeDeps) {
  const { paths, extras, logger, metrics } = deps;
  const viewsByName = new Map(deps.views.map((v) => [v.name, v]));

  return async function recompute(run: RunContext): Promise<RecomputeResult> {
    const startedAt = Date.now();
    const log = logger.child({ run: run.id, attempt: run.attempt });
    const durations: Record<string, number> = {};
    const step = async <T>(name: string, task: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      try {
        return await task();
      } finally {
        durations[name] = Date.now() - t;
        metrics.stepSeconds.observe({ step: name }, (Date.now() - t) / 1000);
      }
    };
    const unknown = (run.request.views ?? []).filter((name) => !viewsByName.has(name));
    if (unknown.length > 0) {
      throw new BatchInputError('TRB_BATCH_UNKNOWN_VIEW', `unknown view(s) ${unknown.map((n) => `"${n}"`).join(', ')}: the views are ${[...viewsByName.keys()].join(', ')}`);
    }
    const current = await readCurrentVersion(paths);
    const currentManifest = current ? await readManifest(paths, current.version) : undefined;
    const subset = run.request.views !== undefined && currentManifest !== undefined;
    const carried = new Set<string>();
    if (subset) {
      for (const view of deps.views) {
        const previous = currentManifest.views[view.name];
        const requested = (run.request.views as string[]).includes(view.name);
        if (!requested && previous !== undefined && previous.fingerprint === viewFingerprint(view)) carried.add(view.name);
      }
    }
    const computed = deps.views.filter((v) => !carried.has(v.name));
    log.info({ views: computed.map((v) => v.name), carried: [...carried], reason: run.request.reason ?? null }, 'batch run started');

    const runTmp = join(extras.tmp, `run-${run.id}-${startedAt}`);
    await mkdir(runTmp, { recursive: true });
    const duckdb = await openDuckDB({ tempDirectory: join(runTmp, 'duckdb') });
    const ctx: BatchContext = { topic: deps.topic, paths, extras: { ...extras, tmp: runTmp }, views: deps.views, validator: deps.validator, normalizationKey: deps.normalizationKey, duckdb, store: deps.store, logger: log };
    try {
      await run.updateProgress(1);
      let inbox: InboxResult = { ingested: [], refused: [] };
      let generation: number;
      let cut: PartitionOffsets;
      if (subset && current) {
        generation = current.generation;
        cut = current.cut;
      } else {
        inbox = await step('ingest', () => ingestInbox(ctx, startedAt));
        await run.updateProgress(10);
        ({ generation, offsets: cut } = await step('cut', () => cutSpeedLayer(deps.store)));
        log.info({ generation, cut }, 'cut made: the speed layer moved to the next generation');
        await step('archiveWait', () =>
          waitForArchive({ paths, topic: deps.topic, cut, timeoutMs: deps.archiveWaitMs, ...(deps.flushArchive ? { flush: deps.flushArchive } : {}) }),
        );
      }
      await run.updateProgress(20);

      const inputs = await step('normalize', () => normalizedInputs(ctx, cut, (done, total) => run.updateProgress(20 + (40 * done) / total)));
      await run.updateProgress(60);
      const source = masterSourceSql(inputs, eventProjection(ctx.views), { rowIds: false });
      const eventsByType = await countEventsByType(ctx, source);
      const rowsRead = Object.values(eventsByType).reduce((sum, n) => sum + n, 0);
      const previousRows: Record<string, number> = {};
      for (const view of computed) {
        const previous = currentManifest?.views[view.name];
        if (previous !== undefined && previous.fingerprint === viewFingerprint(view)) previousRows[view.name] = previous.rows;
      }

      const version = versionName(generation, startedAt);
      const staging = join(paths.views, stagingName(version));
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      const viewStats = await step('compute', () => computeViews(ctx, computed, inputs, staging, (done) => run.updateProgress(60 + (30 * done) / computed.length), { eventsByType, previousRows }));
      const manifestViews: Manifest['views'] = {};
      for (const view of deps.views) {
        if (carried.has(view.name) && current && currentManifest) {
          const previous = currentManifest.views[view.name] as Manifest['views'][string];
          await link(viewFile(paths.version(current.version), view.name), viewFile(staging, view.name));
          manifestViews[view.name] = { ...previous, file: `${view.name}.parquet` };
        } else {
          manifestViews[view.name] = { file: `${view.name}.parquet`, fingerprint: viewFingerprint(view), rows: viewStats[view.name]?.rows ?? 0, computedIn: version };
        }
      }
      const counts = inputCounts(inputs);
      const stats = { rowsRead, filesRead: counts.filesRead, rejected: counts.rejected, durationMs: 0 };

      const completedAt = new Date().toISOString();
      await step('publish', async () => {
        stats.durationMs = Date.now() - startedAt;
        const manifest: Manifest = {
          version,
          generation,
          cut,
          topic: deps.topic,
          normalizationKey: deps.normalizationKey,
          startedAt: new Date(startedAt).toISOString(),
          completedAt,
          request: { views: run.request.views ?? null, reason: run.request.reason ?? null, runId: run.id },
          views: manifestViews,
          inputs: { segments: inputs.filter((i) => i.kind === 'segment').length, files: inputs.filter((i) => i.kind === 'file').map((i) => i.name) },
          ingested: inbox.ingested.map((f) => f.file),
          refused: inbox.refused,
          stats,
          durationsMs: durations,
        };
        await writeJsonAtomic(join(staging, 'manifest.json'), manifest);
        await commitVersionDir(paths, staging, version);
        await writeCurrentVersion(paths, { version, generation, cut, topic: deps.topic, completedAt });
        await deps.store.writePointer({ version, generation, cut, completedAt });
      });
      log.info({ version, generation, stats, durationsMs: durations }, 'batch version published');
      await run.updateProgress(95);

      if (!subset) await deps.dropCovered(generation);
      const pruned = await pruneVersions(paths, deps.keepVersions, { version, generation, cut, topic: deps.topic, completedAt });
      await pruneNormalizedCache(extras, deps.normalizationKey);
      if (pruned.length > 0) log.info({ pruned }, 'old batch versions removed');

      metrics.rowsRead.inc(rowsRead);
      metrics.runSeconds.observe((Date.now() - startedAt) / 1000);
      metrics.lastSuccess.set(Date.now() / 1000);
      return {
        version,
        stats,
        generation,
        views: computed.map((v) => v.name),
        ingested: inbox.ingested.map((f) => f.file),
        refused: inbox.refused,
      };
    } finally {
      duckdb.close();
      await rm(runTmp, { recursive: true, force: true });
    }
  };
}

async function cutSpeedLayer(store: SpeedStore): Promise<{ generation: number; offsets: PartitionOffsets }> {
  try {
    return await store.cut();
  } catch (err) {
    if (err instanceof SpeedStoreLostError) {
      throw new BatchRetriableError('TRB_BATCH_NO_SPEED_STORE', 'the speed store in Redis is not initialized (is the speed layer running?): the cut needs it; retrying', { cause: err });
    }
    throw err;
  }
}

async function readManifest(paths: LakePaths, version: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(paths.version(version), 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes cache folders of other normalization keys (left by older code or other views). */
async function pruneNormalizedCache(extras: LakeExtras, key: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(extras.normalizedRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) if (name !== key) await rm(join(extras.normalizedRoot, name), { recursive: true, force: true });
}
