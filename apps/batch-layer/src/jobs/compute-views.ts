import { pathListSql } from '@tributary/adapter-duckdb';
import { type EventProjection, eventProjection, ID_HASH_COLUMN, quoteIdentifier, quoteLiteral, viewStatesSql, type ViewDefinition } from '@tributary/core';
import { join } from 'node:path';
import type { BatchContext } from './batch-context';
import type { NormalizedInput } from './master-dataset';
import { computeColumns, POSITION_COLUMN } from './normalization';

/** Where each row of the run's source comes from (DuckDB's virtual columns of `read_parquet`): a row's identity. */
const ROW_FILE = 'filename';
const ROW_NUMBER = 'file_row_number';

/**
 * The FROM item holding every event of the run: the normalized Parquet of whole inputs, plus the part
 * below the cut of the segments the cut falls inside — only the columns the views read (id, type, ts
 * and the projected columns), and each row's file and row number. Not deduplicated:
 * `deduplicatedSource` deduplicates by id across all of it (CONTRACT.md §1: the batch layer counts
 * each id once at any distance).
 */
export function masterSourceSql(inputs: readonly NormalizedInput[], projection: EventProjection): string {
  const columns = computeColumns(projection);
  const list = [...Object.keys(columns).map(quoteIdentifier), ROW_FILE, ROW_NUMBER].join(', ');
  const read = (paths: string) => `read_parquet(${paths}, ${ROW_FILE} = true, ${ROW_NUMBER} = true)`;
  const whole = inputs.filter((i) => i.below === undefined).map((i) => i.parquet);
  const parts = inputs
    .filter((i) => i.below !== undefined)
    .map((i) => `SELECT ${list} FROM ${read(quoteLiteral(i.parquet))} WHERE ${POSITION_COLUMN} < ${i.below as number}`);
  if (whole.length > 0) parts.unshift(`SELECT ${list} FROM ${read(pathListSql(whole))}`);
  if (parts.length === 0) {
    const empty = [...Object.entries(columns), [ROW_FILE, 'VARCHAR'], [ROW_NUMBER, 'BIGINT']].map(([name, type]) => `NULL::${type} AS ${quoteIdentifier(name as string)}`);
    parts.push(`SELECT ${empty.join(', ')} WHERE false`);
  }
  return `(${parts.join('\nUNION ALL\n')})`;
}

/**
 * Deduplicates the run's events by id once for every view (CONTRACT.md §1). Copies are rare, so
 * instead of a window over every event per view: DuckDB finds the id hashes seen more than once (one
 * integer aggregation over the precomputed `id_hash`, md5 of the id); among the events with such a
 * hash it ranks the copies of each *id* (the full string: ids whose hashes collide stay apart) by
 * `ts` and lists every copy but the earliest by file and row number in a small temp table (reading
 * only id, ts and the hash); every view reads the events minus those rows — an anti-join against a
 * small table. Returns the deduplicated FROM item (valid until `dropDeduplicated`) and the number of
 * copies dropped; views then run with `dedupById: false`. Like the speed layer, an id counts once
 * whatever its type.
 */
export async function deduplicatedSource(ctx: BatchContext, source: string): Promise<{ source: string; dropped: number }> {
  const h = ID_HASH_COLUMN;
  await ctx.duckdb.run(`CREATE OR REPLACE TEMP TABLE trb_dup_hashes AS SELECT ${h} FROM ${source} GROUP BY ${h} HAVING count(*) > 1`);
  await ctx.duckdb.run(
    `CREATE OR REPLACE TEMP TABLE trb_dup_copies AS SELECT s.${ROW_FILE}, s.${ROW_NUMBER} FROM (SELECT id, ts, ${h}, ${ROW_FILE}, ${ROW_NUMBER} FROM ${source}) s ` +
      `SEMI JOIN trb_dup_hashes d ON s.${h} = d.${h} QUALIFY row_number() OVER (PARTITION BY s.id ORDER BY s.ts) > 1`,
  );
  const [row] = await ctx.duckdb.rows('SELECT count(*)::BIGINT AS n FROM trb_dup_copies');
  return {
    source: `(SELECT s.* FROM ${source} s ANTI JOIN trb_dup_copies c ON s.${ROW_FILE} = c.${ROW_FILE} AND s.${ROW_NUMBER} = c.${ROW_NUMBER})`,
    dropped: Number(row?.['n'] ?? 0),
  };
}

export async function dropDeduplicated(ctx: BatchContext): Promise<void> {
  await ctx.duckdb.run('DROP TABLE IF EXISTS trb_dup_copies');
  await ctx.duckdb.run('DROP TABLE IF EXISTS trb_dup_hashes');
}

/** `<view>.parquet` in a version folder. */
export const viewFile = (versionDir: string, view: string) => join(versionDir, `${view}.parquet`);

/**
 * Computes each view with core's SQL over the events deduplicated by id (`deduplicatedSource`),
 * reading the projected columns of all the views' projection (the one the cache was built with), and
 * lets DuckDB write the states straight to Parquet in `dir`: no row of the result travels through
 * JavaScript. Returns the row count per view.
 */
export async function computeViews(
  ctx: BatchContext,
  views: readonly ViewDefinition[],
  source: string,
  dir: string,
  onView: (done: number) => Promise<void>,
): Promise<Record<string, { rows: number; ms: number }>> {
  const out: Record<string, { rows: number; ms: number }> = {};
  const projection = eventProjection(ctx.views);
  // Every output is ordered by its own ORDER BY: DuckDB need not keep the order of rows in between
  // (parallel scans, joins and unions stream freely). Reset after: reading inbox files relies on it.
  await ctx.duckdb.run('SET preserve_insertion_order = false');
  try {
    const deduplicated = await deduplicatedSource(ctx, source);
    for (const [i, view] of views.entries()) {
      const started = Date.now();
      const rows = await ctx.duckdb.copyToParquet(viewStatesSql(view, { source: deduplicated.source, dedupById: false, projection }), viewFile(dir, view.name));
      out[view.name] = { rows, ms: Date.now() - started };
      await onView(i + 1);
    }
  } finally {
    await dropDeduplicated(ctx);
    await ctx.duckdb.run('RESET preserve_insertion_order');
  }
  return out;
}
