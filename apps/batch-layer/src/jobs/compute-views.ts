import { pathListSql } from '@tributary/adapter-duckdb';
import { type EventProjection, eventProjection, ID_HASH_COLUMN, quoteIdentifier, quoteLiteral, viewStatesSql, type ViewDefinition } from '@tributary/core';
import { join } from 'node:path';
import type { BatchContext } from './batch-context';
import type { NormalizedInput } from './master-dataset';
import { computeColumns, POSITION_COLUMN } from './normalization';

/**
 * The FROM item holding every event of the run: the normalized Parquet of whole inputs, plus the part
 * below the cut of the segments the cut falls inside — only the columns the views read (id, type, ts
 * and the projected columns). Not deduplicated: `deduplicatedSource` deduplicates by id across all
 * of it (CONTRACT.md §1: the batch layer counts each id once at any distance).
 */
export function masterSourceSql(inputs: readonly NormalizedInput[], projection: EventProjection): string {
  const columns = computeColumns(projection);
  const list = Object.keys(columns).map(quoteIdentifier).join(', ');
  const whole = inputs.filter((i) => i.below === undefined).map((i) => i.parquet);
  const parts = inputs
    .filter((i) => i.below !== undefined)
    .map((i) => `SELECT ${list} FROM read_parquet(${quoteLiteral(i.parquet)}) WHERE ${POSITION_COLUMN} < ${i.below as number}`);
  if (whole.length > 0) parts.unshift(`SELECT ${list} FROM read_parquet(${pathListSql(whole)})`);
  if (parts.length === 0) {
    const empty = Object.entries(columns).map(([name, type]) => `NULL::${type} AS ${quoteIdentifier(name)}`);
    parts.push(`SELECT ${empty.join(', ')} WHERE false`);
  }
  return `(${parts.join('\nUNION ALL\n')})`;
}

/**
 * Deduplicates the run's events by id once for every view (CONTRACT.md §1). Copies are rare, so
 * instead of a window over every event per view: DuckDB finds the id hashes seen more than once (one
 * integer aggregation over the precomputed `id_hash`, md5 of the id), keeps among the events with
 * such a hash the earliest event of each *id* (the full string: ids whose hashes collide stay apart)
 * in a small temp table, and every view reads `events without those hashes ∪ that table` — an
 * anti-join against a small table of integers. Returns the deduplicated FROM item (valid until
 * `dropDeduplicated`); views then run with `dedupById: false`. Like the speed layer, an id counts
 * once whatever its type.
 */
export async function deduplicatedSource(ctx: BatchContext, source: string): Promise<{ source: string; repeated: number }> {
  const h = ID_HASH_COLUMN;
  await ctx.duckdb.run(`CREATE OR REPLACE TEMP TABLE trb_dup_hashes AS SELECT ${h} FROM ${source} GROUP BY ${h} HAVING count(*) > 1`);
  await ctx.duckdb.run(
    `CREATE OR REPLACE TEMP TABLE trb_dup_events AS SELECT s.* FROM ${source} s SEMI JOIN trb_dup_hashes d ON s.${h} = d.${h} ` +
      'QUALIFY row_number() OVER (PARTITION BY s.id ORDER BY s.ts) = 1',
  );
  const [row] = await ctx.duckdb.rows('SELECT count(*)::BIGINT AS n FROM trb_dup_events');
  return {
    source: `(SELECT s.* FROM ${source} s ANTI JOIN trb_dup_hashes d ON s.${h} = d.${h} UNION ALL SELECT * FROM trb_dup_events)`,
    repeated: Number(row?.['n'] ?? 0),
  };
}

export async function dropDeduplicated(ctx: BatchContext): Promise<void> {
  await ctx.duckdb.run('DROP TABLE IF EXISTS trb_dup_events');
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
  const deduplicated = await deduplicatedSource(ctx, source);
  try {
    for (const [i, view] of views.entries()) {
      const started = Date.now();
      const rows = await ctx.duckdb.copyToParquet(viewStatesSql(view, { source: deduplicated.source, dedupById: false, projection }), viewFile(dir, view.name));
      out[view.name] = { rows, ms: Date.now() - started };
      await onView(i + 1);
    }
  } finally {
    await dropDeduplicated(ctx);
  }
  return out;
}
