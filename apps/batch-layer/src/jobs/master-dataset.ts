import type { PartitionOffsets } from '@tributary/adapter-redis';
import { listSegments, writeFileAtomic } from '@tributary/adapter-lake';
import { type EventProjection, eventProjection } from '@tributary/core';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { BatchContext } from './batch-context';
import { fileFormat, fileRecords } from './file-rows';
import type { FileMeta } from './inbox';
import { type NormalizedMeta, sameValidity } from './normalization';
import { deriveNormalized, type InputRecord, readNormalizedMeta, stageNormalized } from './normalized-writer';
import { segmentRecords } from './segment-records';

/** One normalized input of a run: a segment (maybe cut inside) or an ingested file. */
export interface NormalizedInput {
  readonly kind: 'segment' | 'file';
  readonly name: string;
  readonly parquet: string;
  readonly meta: NormalizedMeta;
  /** Only positions below this belong to the run (a segment the cut falls inside). */
  readonly below?: number;
}

/**
 * Makes sure every input of the run is normalized in the cache and lists them: per partition the
 * segments holding offsets below the cut, and every ingested file. What the cache lacks (new
 * segments, or everything after a normalization key change) is built now, once.
 */
export async function normalizedInputs(
  ctx: BatchContext,
  cut: PartitionOffsets,
  onProgress: (done: number, total: number) => Promise<void>,
): Promise<NormalizedInput[]> {
  const cache = ctx.extras.normalized(ctx.normalizationKey);
  const projection = eventProjection(ctx.views);
  const work: Array<{ kind: 'segment' | 'file'; name: string; parquet: string; below?: number; build: () => AsyncIterable<InputRecord>; receivedAt?: number }> = [];

  for (const [partitionText, offsetText] of Object.entries(cut)) {
    const partition = Number(partitionText);
    const limit = BigInt(offsetText);
    for (const segment of await listSegments(ctx.paths, ctx.topic, partition)) {
      if (segment.range.first >= limit) break;
      const first = segment.range.first.toString();
      const last = segment.range.last.toString();
      work.push({
        kind: 'segment',
        name: `${partition}/${segment.name}`,
        parquet: cache.segment(ctx.topic, partition, first, last),
        ...(segment.range.last >= limit ? { below: Number(limit) } : {}),
        build: () => segmentRecords(segment.path),
      });
    }
  }

  for (const name of await listRawFiles(ctx)) {
    const format = fileFormat(name);
    if (format === undefined) continue;
    const path = join(ctx.paths.rawFiles, name);
    const receivedAt = await fileReceivedAt(ctx, name, path);
    work.push({ kind: 'file', name, parquet: cache.file(name), receivedAt, build: () => fileRecords(ctx.duckdb, path, format, receivedAt) });
  }

  // Segments are validated in JavaScript while DuckDB converts the previous one (two cores at work);
  // files wait, as reading them needs the DuckDB connection.
  const inputs: NormalizedInput[] = [];
  let converting: Promise<unknown> = Promise.resolve();
  let built = 0;
  let derived = 0;
  const donors = await siblingCaches(ctx);
  await recordProjection(cache.root, projection);
  try {
    for (const [i, item] of work.entries()) {
      const cached = await readNormalizedMeta(item.parquet);
      const base = { kind: item.kind, name: item.name, parquet: item.parquet, ...(item.below !== undefined ? { below: item.below } : {}) };
      const donor = cached === undefined ? await donorOf(donors, relative(cache.root, item.parquet)) : undefined;
      if (cached !== undefined) {
        inputs.push({ ...base, meta: cached });
      } else if (donor !== undefined) {
        // A view's fields changed, not what makes an event valid: DuckDB derives the file from the old cache.
        const derive = { duckdb: ctx.duckdb, projection, donor: donor.parquet, donorMeta: donor.meta, target: item.parquet, ...(donor.projection ? { donorProjection: donor.projection } : {}) };
        converting = converting.then(() => deriveNormalized(derive));
        converting.catch(() => undefined); // handled: awaited before the next file and at the end
        inputs.push({ ...base, meta: donor.meta });
        derived++;
      } else {
        if (item.kind === 'file') await converting;
        const staged = await stageNormalized({
          duckdb: ctx.duckdb,
          validator: ctx.validator,
          projection,
          records: item.build(),
          target: item.parquet,
          tmpDir: ctx.extras.tmp,
          ...(item.receivedAt !== undefined ? { receivedAt: item.receivedAt } : {}),
        });
        // A failed conversion fails every later one (and the run), never silently.
        converting = converting.then(
          () => staged.convert(),
          async (err: unknown) => {
            await staged.discard();
            throw err;
          },
        );
        converting.catch(() => undefined); // handled: awaited before the next file and at the end
        inputs.push({ ...base, meta: staged.meta });
        built++;
      }
      if (i % 16 === 15) await onProgress(i + 1, work.length);
    }
  } finally {
    await converting;
  }
  ctx.logger.info({ inputs: inputs.length, normalizedNow: built, derivedNow: derived, key: ctx.normalizationKey }, 'master dataset normalized');
  return inputs;
}

/** Cache folders of other keys with the same validity rules (oldest key last), to derive from. */
async function siblingCaches(ctx: BatchContext): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(ctx.extras.normalizedRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((name) => sameValidity(ctx.normalizationKey, name)).map((name) => ctx.extras.normalized(name).root);
}

async function donorOf(roots: readonly string[], path: string): Promise<{ parquet: string; meta: NormalizedMeta; projection?: EventProjection } | undefined> {
  for (const root of roots) {
    const parquet = join(root, path);
    const meta = await readNormalizedMeta(parquet);
    if (meta === undefined) continue;
    const projection = await readProjection(root);
    return { parquet, meta, ...(projection ? { projection } : {}) };
  }
  return undefined;
}

/** `projection.json` in a cache folder: which field each projected column holds (for deriving a sibling). */
const projectionFile = (root: string) => join(root, 'projection.json');

async function recordProjection(root: string, projection: EventProjection): Promise<void> {
  if ((await readProjection(root)) !== undefined) return;
  await mkdir(root, { recursive: true });
  await writeFileAtomic(projectionFile(root), JSON.stringify(projection));
}

async function readProjection(root: string): Promise<EventProjection | undefined> {
  try {
    return JSON.parse(await readFile(projectionFile(root), 'utf8')) as EventProjection;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function listRawFiles(ctx: BatchContext): Promise<string[]> {
  try {
    return (await readdir(ctx.paths.rawFiles)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** When the file was received (its ingestion run), from its meta; its mtime if someone put it there by hand. */
async function fileReceivedAt(ctx: BatchContext, name: string, path: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(ctx.extras.fileMetaOf(name), 'utf8')) as FileMeta).receivedAt;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    ctx.logger.warn({ file: name }, 'raw file without ingestion record (put there by hand?): its modification time counts as its receipt');
    return Math.floor((await stat(path)).mtimeMs);
  }
}

/** The inputs read and the invalid records among them (below the cut). */
export function inputCounts(inputs: readonly NormalizedInput[]): { filesRead: number; rejected: number } {
  let rejected = 0;
  for (const input of inputs) {
    if (input.below === undefined) rejected += input.meta.rejected;
    else rejected += input.meta.rejectedPositions.filter((p) => p < (input.below as number)).length;
  }
  return { filesRead: inputs.length, rejected };
}
