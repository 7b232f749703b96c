import { fsyncDir } from '@tributary/adapter-lake';
import { eventProjection } from '@tributary/core';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchContext } from './batch-context';
import { fileFormat, fileRecords, positionLabel, type FileFormat } from './file-rows';
import { createLineFile, writeJsonAtomic } from './line-file';
import { writeNormalized } from './normalized-writer';

/** `raw/file-meta/<file>.json`: how a file was ingested; `receivedAt` validates it again later. */
export interface FileMeta {
  file: string;
  format: FileFormat;
  receivedAt: number;
  ingestedAt: string;
  records: number;
  valid: number;
  rejected: number;
}

export interface InboxResult {
  ingested: FileMeta[];
  refused: Array<{ file: string; reason: string }>;
}

/** Names being written by someone (by convention) are left alone until they are renamed. */
const IN_PROGRESS = /^\.|\.(tmp|part|partial|crdownload|swp)$/i;
const unsafeName = (name: string): boolean => name.includes('/') || name.includes('\\') || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const ID_BATCH = 10_000;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Ingests the inbox (CONTRACT.md §5): each file is validated row by row with core, received at
 * `receivedAt` (the run's time); its valid events become normalized Parquet in the cache, its rejected
 * rows are listed in `rejected/<file>.errors.ndjson`, the ids of its valid events join the speed
 * layer's dedup window, and the file moves to `raw/files/` — that rename is the commit: a crash before
 * it leaves the file in the inbox to be ingested again, whole. A name already in `raw/files/` is refused
 * and left in the inbox; a file that cannot be read at all moves to `rejected/` with the reason.
 */
export async function ingestInbox(ctx: BatchContext, receivedAt: number): Promise<InboxResult> {
  const { paths, logger } = ctx;
  const result: InboxResult = { ingested: [], refused: [] };
  let names: string[];
  try {
    names = (await readdir(paths.inbox)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  const refuse = (file: string, reason: string) => {
    logger.warn({ file, reason }, 'inbox file refused');
    result.refused.push({ file, reason });
  };
  for (const name of names) {
    if (IN_PROGRESS.test(name)) continue;
    const path = join(paths.inbox, name);
    if (unsafeName(name)) {
      refuse(name, 'the file name holds control characters or backslashes: rename it');
      continue;
    }
    const info = await lstat(path);
    if (!info.isFile()) {
      refuse(name, 'not a regular file: folders and symbolic links are not ingested (copy the file itself into the inbox)');
      continue;
    }
    const format = fileFormat(name);
    if (format === undefined) {
      refuse(name, 'unknown format: name it .csv, .ndjson, .jsonl, .json or .parquet');
      continue;
    }
    if (await exists(join(paths.rawFiles, name))) {
      refuse(name, `a file named "${name}" was already ingested (raw/files/${name}): a file is never ingested twice; rename it if it holds new events`);
      continue;
    }
    const meta = await ingestFile(ctx, name, format, receivedAt);
    if (typeof meta === 'string') result.refused.push({ file: name, reason: meta }); // logged by ingestFile
    else result.ingested.push(meta);
  }
  if (result.ingested.length > 0) await Promise.all([fsyncDir(paths.rawFiles), fsyncDir(paths.inbox)]);
  return result;
}

/** Ingests one file; returns its meta, or why it was rejected whole. */
async function ingestFile(ctx: BatchContext, name: string, format: FileFormat, receivedAt: number): Promise<FileMeta | string> {
  const { paths, extras, store, logger } = ctx;
  const path = join(paths.inbox, name);
  const errors = createLineFile(join(paths.rejected, `${name}.errors.ndjson`));
  // Kept with the file: after a Redis loss the speed layer reseeds its dedup window from it.
  const idsFile = createLineFile(extras.fileIdsOf(name));
  const label = positionLabel(format);
  let ids: Array<{ id: string; receivedAt: number }> = [];
  const rememberIds = async () => {
    if (ids.length === 0) return;
    const batch = ids;
    ids = [];
    await store.rememberIds(batch, Date.now());
  };
  let normalized;
  try {
    normalized = await writeNormalized({
      duckdb: ctx.duckdb,
      validator: ctx.validator,
      projection: eventProjection(ctx.views),
      records: fileRecords(ctx.duckdb, path, format, receivedAt),
      target: extras.normalized(ctx.normalizationKey).file(name),
      tmpDir: extras.tmp,
      receivedAt,
      hooks: {
        onRejected: (position, reason) => errors.write({ file: name, [label]: position, reason }),
        onValid: async (id, at) => {
          ids.push({ id, receivedAt: at });
          await idsFile.write(id);
          if (ids.length >= ID_BATCH) await rememberIds();
        },
      },
    });
    await rememberIds();
  } catch (err) {
    await Promise.all([errors.discard(), idsFile.discard()]);
    if (isRedisOrFsError(err)) throw err;
    const reason = `cannot read the file as ${format}: ${(err as Error).message}`;
    await mkdir(paths.rejected, { recursive: true });
    await rename(path, join(paths.rejected, name));
    const whole = createLineFile(join(paths.rejected, `${name}.errors.ndjson`));
    await whole.write({ file: name, reason });
    await whole.commit();
    logger.warn({ file: name, reason }, 'inbox file unreadable: moved to rejected/');
    return reason;
  }
  if (normalized.rejected === 0) await rm(join(paths.rejected, `${name}.errors.ndjson`), { force: true });
  await Promise.all([errors.commit(), idsFile.commit()]);
  const meta: FileMeta = {
    file: name,
    format,
    receivedAt,
    ingestedAt: new Date().toISOString(),
    records: normalized.records,
    valid: normalized.valid,
    rejected: normalized.rejected,
  };
  await writeJsonAtomic(extras.fileMetaOf(name), meta);
  await mkdir(paths.rawFiles, { recursive: true });
  await rename(path, join(paths.rawFiles, name));
  logger.info(meta, 'inbox file ingested');
  return meta;
}

/** Errors that are about our infrastructure, not the file: the run retries them. */
function isRedisOrFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EACCES' || code === 'EIO' || code === 'EROFS') return true;
  const name = (err as Error | undefined)?.name ?? '';
  return /Redis|Reply|MaxRetries/i.test(name) || /ECONNREFUSED|Connection is closed/.test((err as Error | undefined)?.message ?? '');
}
