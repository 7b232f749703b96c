import type { DuckDBSession } from '@tributary/adapter-duckdb';
import { writeFileAtomic } from '@tributary/adapter-lake';
import { type EventProjection, projectEventsSql, quoteLiteral, reprojectEventsSql, toNormalizedRow, type EventValidator } from '@tributary/core';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { NORMALIZED_PARQUET_COLUMNS, type NormalizedMeta, POSITION_COLUMN, readNormalizedNdjsonSql } from './normalization';

/** One record of an input: its text (Kafka value, NDJSON line), its parsed value (CSV/JSON/Parquet row), or why it is unreadable. */
export type InputRecord =
  | { position: number; receivedAt: number; text: string }
  | { position: number; receivedAt: number; raw: unknown }
  | { position: number; receivedAt: number; error: string };

export interface NormalizeHooks {
  /** Called for each valid event (e.g. to remember its id in the speed layer's window). */
  onValid?: (id: string, receivedAt: number) => Promise<void> | void;
  /** Called for each rejected record with the reason. */
  onRejected?: (position: number, reason: string) => Promise<void> | void;
}

const metaPath = (target: string) => `${target}.meta.json`;

/**
 * Row order of a normalized file: by type (a view's `type IN (…)` skips the row groups of other
 * types), then time, then position — a total order, so a file built again holds every event at the
 * same row (the dedup index refers to rows by number).
 */
const NORMALIZED_ORDER = `type, ts, ${POSITION_COLUMN}`;

/** The cached normalization of an input, or undefined when it must be built. */
export async function readNormalizedMeta(target: string): Promise<NormalizedMeta | undefined> {
  try {
    const [meta] = await Promise.all([readFile(metaPath(target), 'utf8'), stat(target)]);
    return JSON.parse(meta) as NormalizedMeta;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Options of a normalization: the input's records and where the Parquet goes. */
export interface NormalizeOptions {
  duckdb: DuckDBSession;
  validator: EventValidator;
  /** The views' projection (`eventProjection(views)`): its columns are computed once, here. */
  projection: EventProjection;
  records: AsyncIterable<InputRecord>;
  target: string;
  tmpDir: string;
  hooks?: NormalizeHooks;
  receivedAt?: number;
}

/**
 * Validates every record with core and writes the valid events as normalized Parquet at `target`
 * with the views' projected columns (plus `<target>.meta.json` with the counts). The events go through a temporary NDJSON file that
 * DuckDB converts; nothing is held in memory but one chunk. Atomic: the Parquet file is renamed into
 * place, then the meta written, and the cache only trusts a file that has both.
 */
export async function writeNormalized(options: NormalizeOptions): Promise<NormalizedMeta> {
  const staged = await stageNormalized(options);
  return staged.convert();
}

/**
 * The two halves of `writeNormalized`: validation in JavaScript into a staging file, then `convert()`
 * by DuckDB — so a caller can validate the next input while DuckDB converts this one. `discard()`
 * removes the staging file when `convert` is never called.
 */
export async function stageNormalized(options: NormalizeOptions): Promise<{ meta: NormalizedMeta; convert(): Promise<NormalizedMeta>; discard(): Promise<void> }> {
  const { validator, hooks = {} } = options;
  await mkdir(options.tmpDir, { recursive: true });
  await mkdir(dirname(options.target), { recursive: true });
  const staging = join(options.tmpDir, `normalize-${randomUUID()}.ndjson`);
  const out = createWriteStream(staging);
  const meta: NormalizedMeta = { records: 0, valid: 0, rejected: 0, rejectedPositions: [] };
  if (options.receivedAt !== undefined) meta.receivedAt = options.receivedAt;
  let chunk: string[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const ok = out.write(chunk.join(''));
    chunk = [];
    chunkBytes = 0;
    if (!ok) await once(out, 'drain');
  };
  try {
    for await (const record of options.records) {
      meta.records++;
      const result =
        'text' in record
          ? validator.parse(record.text, record.receivedAt)
          : 'raw' in record
            ? validator.validate(record.raw, record.receivedAt)
            : ({ ok: false, reason: record.error } as const);
      if (!result.ok) {
        meta.rejected++;
        meta.rejectedPositions.push(record.position);
        const pending = hooks.onRejected?.(record.position, result.reason);
        if (pending) await pending;
        continue;
      }
      meta.valid++;
      const row = toNormalizedRow(result.event);
      const line = `{"id":${JSON.stringify(row.id)},"type":${JSON.stringify(row.type)},"ts":${row.ts},"attrs":${JSON.stringify(row.attrs)},"nums":${JSON.stringify(row.nums)},"${POSITION_COLUMN}":${record.position}}\n`;
      chunk.push(line);
      chunkBytes += line.length;
      if (chunkBytes >= 1 << 20) await flush();
      const pending = hooks.onValid?.(row.id, record.receivedAt);
      if (pending) await pending;
    }
    await flush();
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    await rm(staging, { force: true });
    throw err;
  }
  const discard = () => rm(staging, { force: true });
  return {
    meta,
    discard,
    async convert() {
      const tempParquet = `${options.target}.tmp-${randomUUID()}`;
      try {
        // Sorted by type, so a view's `type IN (…)` skips the row groups of other types (min/max stats).
        // The projected columns (id hash, typed fields, HyperLogLog registers) are computed here once,
        // so a recompute reads typed columns and hashes nothing.
        const select = projectEventsSql(readNormalizedNdjsonSql(quoteLiteral(staging)), options.projection, NORMALIZED_ORDER);
        await options.duckdb.copyToParquet(select, tempParquet, { rowGroupSize: 122_880 });
        await rename(tempParquet, options.target);
        await writeFileAtomic(metaPath(options.target), JSON.stringify(meta));
        return meta;
      } finally {
        await discard();
        await rm(tempParquet, { force: true });
      }
    },
  };
}

/**
 * Builds `target` from the same input normalized under a sibling key with the same validity rules
 * (`sameValidity`): its events and meta are the same, only the projected columns differ, so DuckDB
 * recomputes those from `attrs` and `nums` — no JavaScript, no raw data read. Atomic like
 * `writeNormalized`.
 */
export async function deriveNormalized(options: {
  duckdb: DuckDBSession;
  projection: EventProjection;
  donor: string;
  donorMeta: NormalizedMeta;
  /** The donor cache's projection, when recorded: its columns of fields both projections read are taken over. */
  donorProjection?: EventProjection;
  target: string;
}): Promise<NormalizedMeta> {
  await mkdir(dirname(options.target), { recursive: true });
  const tempParquet = `${options.target}.tmp-${randomUUID()}`;
  try {
    const keep = Object.keys(NORMALIZED_PARQUET_COLUMNS);
    const donor = `read_parquet(${quoteLiteral(options.donor)})`;
    const select =
      options.donorProjection === undefined
        ? projectEventsSql(`(SELECT ${keep.join(', ')} FROM ${donor})`, options.projection, NORMALIZED_ORDER)
        : reprojectEventsSql(donor, keep, options.projection, options.donorProjection, NORMALIZED_ORDER);
    await options.duckdb.copyToParquet(select, tempParquet, { rowGroupSize: 122_880 });
    await rename(tempParquet, options.target);
    await writeFileAtomic(metaPath(options.target), JSON.stringify(options.donorMeta));
    return options.donorMeta;
  } finally {
    await rm(tempParquet, { force: true });
  }
}
