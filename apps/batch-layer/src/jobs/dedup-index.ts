import { eventProjection, ID_HASH_COLUMN, quoteLiteral } from '@tributary/core';
import { writeFileAtomic } from '@tributary/adapter-lake';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { BatchContext } from './batch-context';
import type { NormalizedInput } from './master-dataset';
import { computeColumns, POSITION_COLUMN } from './normalization';

/**
 * The dedup index: every row of the master dataset whose id hash another row shares, kept in the
 * normalized cache (`cache/normalized/<key>/dedup/`) and carried from run to run. Inputs are
 * immutable, so a run only checks the rows the index has not seen yet against the rest: the id hashes
 * of the new rows are probed against the hashes of the old ones (one integer column), and only the
 * few rows that share one are read whole. The first run, or one after the index no longer matches
 * the inputs, looks at everything once (one aggregation over every id hash).
 *
 * Among the rows of one id (the full string: colliding hashes stay apart) the first by (ts, input,
 * row) is kept; the others are the run's copies. The views subtract the copies (`viewStatesSql`'s
 * `subtract`) when every copy equals its kept row in what the views read — the contract's
 * assumption — and exclude them with an anti-join otherwise.
 */

export const DEDUP_INDEX_VERSION = 1;

/** One input as the index covers it: its path in the cache folder, the file it was, and its rows. */
export interface IndexedInput {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Rows with a position below this (a segment the cut fell inside); null: every row. */
  readonly below: number | null;
}

export interface DedupIndexState {
  readonly version: typeof DEDUP_INDEX_VERSION;
  readonly covered: readonly IndexedInput[];
  /** Parquet file in the index folder with the rows whose id hash is shared; null when there are none. */
  readonly rows: string | null;
  /** Rows that are copies (not kept). */
  readonly copies: number;
  /** Copies that differ from their kept row in a column the views read. */
  readonly differing: number;
}

/** A run's input as the index sees it. */
export interface RunInput extends IndexedInput {
  readonly parquet: string;
}

/** Rows of one input: positions in [from, below). */
export interface InputPart {
  readonly parquet: string;
  readonly path: string;
  readonly from: number | null;
  readonly below: number | null;
}

export interface IndexPlan {
  /** The index cannot be extended to this run (an input changed, vanished or shrank): start anew. */
  readonly reset: boolean;
  /** Rows the index already covers. */
  readonly old: readonly InputPart[];
  /** Rows new to the index. */
  readonly fresh: readonly InputPart[];
  /** What the index covers after this run. */
  readonly covered: readonly IndexedInput[];
}

const bound = (below: number | null): number => below ?? Infinity;

/**
 * Which rows of a run the index covers and which it has yet to see. The index extends only when
 * every input it covers is in the run, as the same file, with at least as many rows; otherwise (a
 * run at an older cut, a cache file rebuilt or removed) it starts anew over the run's rows.
 */
export function planIndexUpdate(state: DedupIndexState | undefined, run: readonly RunInput[]): IndexPlan {
  const covered = run.map(({ path, size, mtimeMs, below }) => ({ path, size, mtimeMs, below }));
  const whole = (i: RunInput): InputPart => ({ parquet: i.parquet, path: i.path, from: null, below: i.below });
  const byPath = new Map(run.map((i) => [i.path, i]));
  const extendable =
    state !== undefined &&
    state.covered.every((c) => {
      const now = byPath.get(c.path);
      return now !== undefined && now.size === c.size && now.mtimeMs === c.mtimeMs && bound(now.below) >= bound(c.below);
    });
  if (!extendable || state === undefined) return { reset: true, old: [], fresh: run.map(whole), covered };
  const seen = new Map(state.covered.map((c) => [c.path, c]));
  const old: InputPart[] = [];
  const fresh: InputPart[] = [];
  for (const input of run) {
    const before = seen.get(input.path);
    if (before === undefined) {
      fresh.push(whole(input));
      continue;
    }
    old.push({ parquet: input.parquet, path: input.path, from: null, below: before.below });
    if (bound(input.below) > bound(before.below)) fresh.push({ parquet: input.parquet, path: input.path, from: before.below, below: input.below });
  }
  return { reset: false, old, fresh, covered };
}

/** Columns of the index's rows besides the computed columns: the input (path in the cache) and the row in it. */
const LOC = 'trb_loc';
const ROW = 'trb_row';
/** The table (or view of the rows file) a run's index rows are in, valid until `releaseDedupIndex`, with `trb_keep` and `trb_same`. */
export const DEDUP_ROWS_TABLE = 'trb_dup_rows';

/** SELECT of `columns` (plus input and row) from the given parts of inputs; typed and empty for no parts. */
function partsSql(parts: readonly InputPart[], columns: Readonly<Record<string, string>>): string {
  const names = Object.keys(columns);
  if (parts.length === 0) {
    const nulls = [...Object.entries(columns), [LOC, 'VARCHAR'], [ROW, 'BIGINT']].map(([name, type]) => `NULL::${type} AS ${name}`);
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  return parts
    .map((p) => {
      const where = [p.from === null ? '' : `${POSITION_COLUMN} >= ${p.from}`, p.below === null ? '' : `${POSITION_COLUMN} < ${p.below}`].filter((w) => w !== '');
      return (
        `SELECT ${[...names, `${quoteLiteral(p.path)} AS ${LOC}`, `file_row_number AS ${ROW}`].join(', ')} ` +
        `FROM read_parquet(${quoteLiteral(p.parquet)}, file_row_number = true)${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`
      );
    })
    .join('\nUNION ALL\n');
}

export interface DedupIndexResult {
  /** Copies among the run's rows. */
  readonly copies: number;
  /** Copies that differ from their kept row in a column the views read (then the views anti-join). */
  readonly differing: number;
  /** Rows new to the index in this run, and whether it started anew. */
  readonly checked: number;
  readonly reset: boolean;
}

/**
 * Brings the index up to the run's inputs and loads its rows into DEDUP_ROWS_TABLE. The updated index
 * is written before the views are computed (a cache: it describes immutable inputs, whatever becomes
 * of the run), as a new rows file and then the state file, each renamed into place.
 */
export async function loadDedupIndex(ctx: BatchContext, inputs: readonly NormalizedInput[]): Promise<DedupIndexResult> {
  const cache = ctx.extras.normalized(ctx.normalizationKey);
  const dir = join(cache.root, 'dedup');
  const state = await readIndexState(ctx, dir);
  const run: RunInput[] = await Promise.all(
    inputs.map(async (i) => {
      const info = await stat(i.parquet);
      return { parquet: i.parquet, path: relative(cache.root, i.parquet), size: info.size, mtimeMs: Math.floor(info.mtimeMs), below: i.below ?? null };
    }),
  );
  const plan = planIndexUpdate(state, run);
  const columns = computeColumns(eventProjection(ctx.views));
  const withLoc = { ...columns, [LOC]: 'VARCHAR', [ROW]: 'BIGINT' };
  const previous = !plan.reset && state?.rows != null ? `read_parquet(${quoteLiteral(join(dir, state.rows))})` : `(${partsSql([], columns)})`;
  const list = Object.keys(withLoc).join(', ');

  if (!plan.reset && plan.fresh.length === 0 && state !== undefined) {
    // Read where it lies (a view over the rows file): the views scan it once each.
    const stored = state.rows !== null ? `SELECT * FROM ${previous}` : `SELECT *, true AS trb_keep, true AS trb_same FROM ${previous}`;
    await ctx.duckdb.run(`CREATE OR REPLACE TEMP VIEW ${DEDUP_ROWS_TABLE} AS ${stored}`);
    return { copies: state.copies, differing: state.differing, checked: 0, reset: false };
  }

  const h = ID_HASH_COLUMN;
  const freshHashes = `(${partsSql(plan.fresh, { [h]: 'UBIGINT' })})`;
  // Old rows sharing a hash with a new row: one scan of the old hashes (with input and row).
  const oldMatches = plan.old.length > 0;
  if (oldMatches) {
    await ctx.duckdb.run(
      `CREATE OR REPLACE TEMP TABLE trb_dup_old_matches AS SELECT o.${h}, o.${LOC}, o.${ROW} FROM (${partsSql(plan.old, { [h]: 'UBIGINT' })}) o ` +
        `SEMI JOIN ${freshHashes} n ON o.${h} = n.${h}`,
    );
  }
  // Hashes a new row shares: with another new row, or with a row the index has seen.
  const shared = [`SELECT ${h} FROM ${freshHashes} GROUP BY ${h} HAVING count(*) > 1`, ...(oldMatches ? [`SELECT ${h} FROM trb_dup_old_matches`] : [])];
  await ctx.duckdb.run(`CREATE OR REPLACE TEMP TABLE trb_dup_shared AS ${shared.join('\nUNION\n')}`);
  const [checkedRow] = await ctx.duckdb.rows(`SELECT count(*)::BIGINT AS n FROM ${freshHashes}`);

  // Old rows whose hash only now is shared (the index does not hold them yet), read whole.
  let oldHits = `(${partsSql([], columns)})`;
  if (oldMatches) {
    await ctx.duckdb.run(`DELETE FROM trb_dup_old_matches WHERE ${h} IN (SELECT ${h} FROM ${previous})`);
    const hitInputs = new Set((await ctx.duckdb.rows(`SELECT DISTINCT ${LOC} AS loc FROM trb_dup_old_matches`)).map((r) => String(r['loc'])));
    const parts = plan.old.filter((p) => hitInputs.has(p.path));
    if (parts.length > 0) oldHits = `(SELECT o.* FROM (${partsSql(parts, columns)}) o SEMI JOIN trb_dup_old_matches x ON o.${LOC} = x.${LOC} AND o.${ROW} = x.${ROW})`;
  }

  // Only the ids of shared hashes are ranked again; the index's other rows keep their flags.
  const compared = ['type', 'ts', ...Object.keys(columns).filter((c) => c !== 'id' && c !== 'type' && c !== 'ts' && c !== h)];
  const flags = state?.rows != null && !plan.reset;
  await ctx.duckdb.run(
    `CREATE OR REPLACE TEMP TABLE ${DEDUP_ROWS_TABLE} AS ` +
      (flags ? `SELECT ${list}, trb_keep, trb_same FROM ${previous} WHERE ${h} NOT IN (SELECT ${h} FROM trb_dup_shared)\nUNION ALL\n` : '') +
      `SELECT ${list}, row_number() OVER w = 1 AS trb_keep, ` +
      `(${compared.map((c) => `${c} IS NOT DISTINCT FROM first_value(${c}) OVER w`).join(' AND ')}) AS trb_same FROM (\n` +
      `SELECT ${list} FROM ${previous}${flags ? ` WHERE ${h} IN (SELECT ${h} FROM trb_dup_shared)` : ''}\n` +
      `UNION ALL SELECT n.* FROM (${partsSql(plan.fresh, columns)}) n SEMI JOIN trb_dup_shared s ON n.${h} = s.${h}\n` +
      `UNION ALL SELECT ${list} FROM ${oldHits}\n` +
      `) WINDOW w AS (PARTITION BY id ORDER BY ts, ${LOC}, ${ROW})`,
  );
  await ctx.duckdb.run('DROP TABLE IF EXISTS trb_dup_shared');
  await ctx.duckdb.run('DROP TABLE IF EXISTS trb_dup_old_matches');
  const [counts] = await ctx.duckdb.rows(
    `SELECT count(*)::BIGINT AS n, count(*) FILTER (WHERE NOT trb_keep)::BIGINT AS copies, count(*) FILTER (WHERE NOT trb_keep AND NOT trb_same)::BIGINT AS differing FROM ${DEDUP_ROWS_TABLE}`,
  );
  const result = { copies: Number(counts?.['copies'] ?? 0), differing: Number(counts?.['differing'] ?? 0), checked: Number(checkedRow?.['n'] ?? 0), reset: plan.reset };
  await writeIndex(ctx, dir, { version: DEDUP_INDEX_VERSION, covered: plan.covered, rows: null, copies: result.copies, differing: result.differing }, Number(counts?.['n'] ?? 0), state?.rows ?? null);
  return result;
}

/** The copies to leave out, as a FROM item of DEDUP_ROWS_TABLE (computed columns only). */
export function copiesSql(ctx: BatchContext): string {
  const columns = Object.keys(computeColumns(eventProjection(ctx.views)));
  return `(SELECT ${columns.join(', ')} FROM ${DEDUP_ROWS_TABLE} WHERE NOT trb_keep)`;
}

/** The copies to leave out by file and row, for an anti-join with a source read with `filename` and `file_row_number`. */
export function copyRowsSql(ctx: BatchContext): string {
  const root = ctx.extras.normalized(ctx.normalizationKey).root;
  return `(SELECT ${quoteLiteral(root + sep)} || ${LOC} AS filename, ${ROW} AS file_row_number FROM ${DEDUP_ROWS_TABLE} WHERE NOT trb_keep)`;
}

export async function releaseDedupIndex(ctx: BatchContext): Promise<void> {
  const name = quoteLiteral(DEDUP_ROWS_TABLE);
  const [found] = await ctx.duckdb.rows(`SELECT (SELECT count(*) FROM duckdb_views() WHERE view_name = ${name})::INTEGER AS views`);
  await ctx.duckdb.run(`DROP ${Number(found?.['views'] ?? 0) > 0 ? 'VIEW' : 'TABLE'} IF EXISTS ${DEDUP_ROWS_TABLE}`);
}

/**
 * The index's state, or undefined to start anew: none yet, another version, not a state, or a rows
 * file that is gone or unreadable (removed by hand, damaged by a crash) — a cache never fails a run.
 */
async function readIndexState(ctx: BatchContext, dir: string): Promise<DedupIndexState | undefined> {
  let state: DedupIndexState;
  try {
    state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as DedupIndexState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof state !== 'object' || state === null || state.version !== DEDUP_INDEX_VERSION || !Array.isArray(state.covered)) return undefined;
  if (state.rows === null) return state;
  try {
    await ctx.duckdb.rows(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(join(dir, state.rows))})`);
    return state;
  } catch (err) {
    ctx.logger.warn({ file: join(dir, state.rows), err }, 'dedup index rows file unreadable: the index starts anew');
    return undefined;
  }
}

/**
 * Writes the rows (when there are any) and then the state, each to a temp name, fsynced and renamed
 * (the state with the lake's `writeFileAtomic`). Keeps the rows file the previous state named (a run
 * still reading it) and removes older ones.
 */
async function writeIndex(ctx: BatchContext, dir: string, state: DedupIndexState, rows: number, previous: string | null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = rows > 0 ? `rows-${Date.now()}-${process.pid}.parquet` : null;
  if (name !== null) {
    const tmp = join(dir, `.writing-${name}`);
    await ctx.duckdb.run(`COPY ${DEDUP_ROWS_TABLE} TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION lz4_raw)`);
    const file = await open(tmp, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(dir, name));
  }
  await writeFileAtomic(join(dir, 'state.json'), JSON.stringify({ ...state, rows: name }));
  for (const file of await readdir(dir)) {
    if (file === 'state.json' || file === name || file === previous) continue;
    // Another run's temp files are left alone while they may still be written; a crashed one's go later.
    const writing = file.startsWith('.writing-') || file.startsWith('state.json.tmp-');
    if (writing && Date.now() - (await stat(join(dir, file)).catch(() => ({ mtimeMs: 0 }))).mtimeMs < STALE_TEMP_MS) continue;
    await rm(join(dir, file), { force: true });
  }
}

/** Temp files of the index older than this are a crashed run's. */
const STALE_TEMP_MS = 15 * 60_000;
