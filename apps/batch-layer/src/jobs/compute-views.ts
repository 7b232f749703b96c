import { pathListSql } from '@tributary/adapter-duckdb';
import { type EventProjection, eventProjection, HLL_REGISTERS, quoteIdentifier, quoteLiteral, viewStatesSql, type ViewDefinition } from '@tributary/core';
import { join } from 'node:path';
import type { BatchContext } from './batch-context';
import { copiesSql, copyRowsSql, type DedupIndexResult, loadDedupIndex, releaseDedupIndex } from './dedup-index';
import type { NormalizedInput } from './master-dataset';
import { computeColumns, POSITION_COLUMN } from './normalization';

/** Where each row of the run's source comes from (DuckDB's virtual columns of `read_parquet`): a row's identity. */
const ROW_FILE = 'filename';
const ROW_NUMBER = 'file_row_number';

/**
 * The FROM item holding every event of the run: the normalized Parquet of whole inputs, plus the part
 * below the cut of the segments the cut falls inside — only the columns the views read (id, type, ts
 * and the projected columns); with `rowIds`, also each row's file and row number. Not deduplicated:
 * the dedup index (dedup-index.ts) says which rows are copies (CONTRACT.md §1: the batch layer counts
 * each id once at any distance).
 */
export function masterSourceSql(inputs: readonly NormalizedInput[], projection: EventProjection, options: { rowIds?: boolean } = {}): string {
  const columns = computeColumns(projection);
  const rowIds = options.rowIds !== false;
  const list = [...Object.keys(columns).map(quoteIdentifier), ...(rowIds ? [ROW_FILE, ROW_NUMBER] : [])].join(', ');
  const read = (paths: string) => (rowIds ? `read_parquet(${paths}, ${ROW_FILE} = true, ${ROW_NUMBER} = true)` : `read_parquet(${paths})`);
  const whole = inputs.filter((i) => i.below === undefined).map((i) => i.parquet);
  const parts = inputs
    .filter((i) => i.below !== undefined)
    .map((i) => `SELECT ${list} FROM ${read(quoteLiteral(i.parquet))} WHERE ${POSITION_COLUMN} < ${i.below as number}`);
  if (whole.length > 0) parts.unshift(`SELECT ${list} FROM ${read(pathListSql(whole))}`);
  if (parts.length === 0) {
    const typed = [...Object.entries(columns), ...(rowIds ? [[ROW_FILE, 'VARCHAR'], [ROW_NUMBER, 'BIGINT']] : [])];
    parts.push(`SELECT ${typed.map(([name, type]) => `NULL::${type} AS ${quoteIdentifier(name as string)}`).join(', ')} WHERE false`);
  }
  return `(${parts.join('\nUNION ALL\n')})`;
}

/**
 * How the views leave the copies out: subtracted when every copy equals its kept row in what the
 * views read (the contract's assumption; no join over the big scan), else excluded by file and row
 * with an anti-join against the (small) list of copies.
 */
export function deduplicatedPlan(ctx: BatchContext, inputs: readonly NormalizedInput[], index: DedupIndexResult): { source: string; subtract?: string } {
  const projection = eventProjection(ctx.views);
  if (index.differing === 0) {
    const source = masterSourceSql(inputs, projection, { rowIds: false });
    return index.copies === 0 ? { source } : { source, subtract: copiesSql(ctx) };
  }
  const source = masterSourceSql(inputs, projection);
  return { source: `(SELECT s.* FROM ${source} s ANTI JOIN ${copyRowsSql(ctx)} c ON s.${ROW_FILE} = c.${ROW_FILE} AND s.${ROW_NUMBER} = c.${ROW_NUMBER})` };
}

/**
 * How views are written: LZ4 (decoded as fast as written; zstd took 0.1–0.2 s more per view of 5M
 * register entries, on one thread) in row groups of 2 048 groups, which DuckDB writes in parallel.
 */
const VIEW_PARQUET = { compression: 'lz4_raw', rowGroupSize: 2048 } as const;

/** Events per type in a FROM item (one scan of the type column): what `ViewSizes.eventsByType` holds. */
export async function countEventsByType(ctx: Pick<BatchContext, 'duckdb'>, source: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const row of await ctx.duckdb.rows(`SELECT type, count(*)::BIGINT AS n FROM ${source} GROUP BY type`)) out[String(row['type'])] = Number(row['n']);
  return out;
}

/** What the run knows of the views' sizes, to choose how to compute them. */
export interface ViewSizes {
  /** Events per type in the run (before dedup). */
  readonly eventsByType?: Readonly<Record<string, number>>;
  /** Rows (groups) of each view in the published version, when its definition is the same. */
  readonly previousRows?: Readonly<Record<string, number>>;
}

/**
 * Whether a view's groups hold many more events than HyperLogLog has registers (by the published
 * version's row count): then registers are aggregated first (`registersFirst`), which bounds each
 * group's register list by the registers instead of the events. Unknown sizes: no.
 */
export function manyEventsPerGroup(view: ViewDefinition, sizes: ViewSizes): boolean {
  const rows = sizes.previousRows?.[view.name];
  if (rows === undefined || rows <= 0 || sizes.eventsByType === undefined) return false;
  const events = view.eventTypes.reduce((sum, type) => sum + (sizes.eventsByType?.[type] ?? 0), 0);
  return events / rows >= HLL_REGISTERS;
}

/** Whether every event of the run has one of the view's types (then the view reads without a filter on type). */
export function onlyItsTypes(view: ViewDefinition, sizes: ViewSizes): boolean {
  if (sizes.eventsByType === undefined) return false;
  const types = new Set(view.eventTypes);
  return Object.entries(sizes.eventsByType).every(([type, n]) => n === 0 || types.has(type));
}

/** `<view>.parquet` in a version folder. */
export const viewFile = (versionDir: string, view: string) => join(versionDir, `${view}.parquet`);

/**
 * Computes each view with core's SQL over the run's events, each id once (the dedup index brought up
 * to the inputs first), reading the projected columns of all the views' projection (the one the cache
 * was built with), and lets DuckDB write the states straight to Parquet in `dir`: no row of the
 * result travels through JavaScript. Returns the row count and time per view.
 */
export async function computeViews(
  ctx: BatchContext,
  views: readonly ViewDefinition[],
  inputs: readonly NormalizedInput[],
  dir: string,
  onView: (done: number) => Promise<void>,
  sizes: ViewSizes = {},
): Promise<Record<string, { rows: number; ms: number }>> {
  const out: Record<string, { rows: number; ms: number }> = {};
  const projection = eventProjection(ctx.views);
  // Every output is ordered by its own ORDER BY: DuckDB need not keep the order of rows in between
  // (parallel scans, joins and unions stream freely). Reset after: reading inbox files relies on it.
  await ctx.duckdb.run('SET preserve_insertion_order = false');
  try {
    const started = Date.now();
    const index = await loadDedupIndex(ctx, inputs);
    const plan = deduplicatedPlan(ctx, inputs, index);
    ctx.logger.info({ ...index, ms: Date.now() - started, by: plan.subtract !== undefined ? 'subtraction' : index.copies > 0 ? 'anti-join' : 'none' }, 'copies found (dedup by id)');
    if (index.differing > 0) ctx.logger.warn({ differing: index.differing }, 'copies of an id differ in content (CONTRACT.md §1 assumes they do not): the earliest is kept, the others left out');
    for (const [i, view] of views.entries()) {
      const viewStarted = Date.now();
      const choices = { registersFirst: manyEventsPerGroup(view, sizes), onlyItsTypes: onlyItsTypes(view, sizes) };
      const sql = viewStatesSql(view, { source: plan.source, dedupById: false, projection, ...choices, ...(plan.subtract !== undefined ? { subtract: plan.subtract } : {}) });
      const rows = await ctx.duckdb.copyToParquet(sql, viewFile(dir, view.name), VIEW_PARQUET);
      out[view.name] = { rows, ms: Date.now() - viewStarted };
      await onView(i + 1);
    }
  } finally {
    await releaseDedupIndex(ctx);
    await ctx.duckdb.run('RESET preserve_insertion_order');
  }
  return out;
}
