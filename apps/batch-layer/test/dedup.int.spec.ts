import { openDuckDB, type DuckDBSession } from '@tributary/adapter-duckdb';
import { lakeExtras, lakePaths } from '@tributary/adapter-lake';
import { eventProjection, parseViews, projectEventsSql, quoteLiteral, readNormalizedJsonSql, toNormalizedRow } from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/jobs/batch-context';
import { masterSourceSql } from '../src/jobs/compute-views';
import { copyRowsSql, DEDUP_ROWS_TABLE, loadDedupIndex, releaseDedupIndex } from '../src/jobs/dedup-index';
import type { NormalizedInput } from '../src/jobs/master-dataset';

// Dedup by id in real DuckDB over normalized Parquet, including ids whose hashes collide (the hash
// only finds candidates, the full id decides), and the dedup index carried from run to run: whatever
// the order in which inputs arrive, the copies are those a look at everything at once finds.
const views = parseViews('views: [{ name: v, eventTypes: [t], granularity: day, dimensions: [c], metrics: [{ name: n, kind: count }] }]', 'inline.yaml');
const projection = eventProjection(views);
const KEY = 'test-key';

interface Row {
  id: string;
  ts: number;
  c: string;
}

describe('dedup by id over the normalized cache (real DuckDB)', () => {
  let dir: string;
  let duckdb: DuckDBSession;
  let ctx: BatchContext;
  let root: string;

  const input = (parquet: string, below?: number): NormalizedInput => ({
    kind: 'segment',
    name: parquet,
    parquet,
    meta: { records: 0, valid: 0, rejected: 0, rejectedPositions: [] },
    ...(below === undefined ? {} : { below }),
  });

  /** Writes events as normalized Parquet in the cache (position = row); `collide` gives every row the same id hash. */
  async function parquet(name: string, events: Row[], collide = false): Promise<string> {
    const ndjson = join(dir, `${name}.ndjson`);
    await writeFile(ndjson, events.map((e) => JSON.stringify(toNormalizedRow({ id: e.id, type: 't', ts: e.ts, attrs: { c: e.c } }))).join('\n') + '\n');
    const target = join(root, 'kafka', `${name}.parquet`);
    await mkdir(join(root, 'kafka'), { recursive: true });
    const source = `(SELECT *, row_number() OVER () - 1 AS src_position FROM ${readNormalizedJsonSql(quoteLiteral(ndjson))})`;
    const select = projectEventsSql(source, projection);
    await duckdb.run(`COPY (${collide ? `SELECT * REPLACE (42::UBIGINT AS id_hash) FROM (${select})` : select}) TO ${quoteLiteral(target)} (FORMAT parquet)`);
    return target;
  }

  /** The run's events without the copies the index lists, as (id, c). */
  async function deduplicated(inputs: NormalizedInput[]): Promise<{ rows: Array<{ id: string; c: string }>; copies: number; checked: number; reset: boolean; differing: number }> {
    const index = await loadDedupIndex(ctx, inputs);
    try {
      const source = masterSourceSql(inputs, projection);
      const rows = await duckdb.rows(`SELECT id, pa0 AS c FROM ${source} s ANTI JOIN ${copyRowsSql(ctx)} x ON s.filename = x.filename AND s.file_row_number = x.file_row_number ORDER BY id, c`);
      return { rows: rows.map((r) => ({ id: String(r['id']), c: String(r['c']) })), ...index };
    } finally {
      await releaseDedupIndex(ctx);
    }
  }

  const dropIndex = () => rm(join(root, 'dedup'), { recursive: true, force: true });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'test-dedup-'));
    duckdb = await openDuckDB();
    const paths = lakePaths(join(dir, 'lake'));
    const extras = lakeExtras(paths);
    root = extras.normalized(KEY).root;
    ctx = { duckdb, extras, paths, views, normalizationKey: KEY, logger: createLogger({ app: 'test', level: 'error' }) } as unknown as BatchContext;
  });
  afterAll(async () => {
    duckdb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the earliest copy of each id, across files, cut parts and colliding hashes', async () => {
    await dropIndex();
    const a = await parquet('a', [
      { id: 'x', ts: 5, c: 'late' },
      { id: 'y', ts: 1, c: 'y' },
      { id: 'z', ts: 1, c: 'z' },
    ]);
    const b = await parquet('b', [
      { id: 'x', ts: 2, c: 'early' },
      { id: 'w', ts: 1, c: 'w' },
      { id: 'y', ts: 9, c: 'beyond the cut' },
    ]);
    const c = await parquet('c', [
      { id: 'p', ts: 1, c: 'p1' },
      { id: 'q', ts: 1, c: 'q' },
      { id: 'p', ts: 3, c: 'p2' },
      { id: 'r', ts: 1, c: 'r' },
    ], true);
    const result = await deduplicated([input(a), input(b, 2), input(c)]);
    expect(result.rows).toEqual([
      { id: 'p', c: 'p1' },
      { id: 'q', c: 'q' },
      { id: 'r', c: 'r' },
      { id: 'w', c: 'w' },
      { id: 'x', c: 'early' },
      { id: 'y', c: 'y' },
      { id: 'z', c: 'z' },
    ]);
    expect(result).toMatchObject({ copies: 2, differing: 2, checked: 9, reset: true });
  });

  it('carries the index from run to run: each run checks only new rows, and finds what a fresh look finds', async () => {
    await dropIndex();
    const s1 = await parquet('s1', [
      { id: 'a', ts: 1, c: 'A' },
      { id: 'b', ts: 1, c: 'B' },
      { id: 'a', ts: 1, c: 'A' },
      { id: 'c', ts: 1, c: 'C' },
    ]);
    const s2 = await parquet('s2', [
      { id: 'b', ts: 1, c: 'B' }, // a copy of an old row, seen only once before
      { id: 'd', ts: 1, c: 'D' },
      { id: 'a', ts: 1, c: 'A' }, // beyond the first cut: a third copy, later
      { id: 'e', ts: 1, c: 'E' },
    ]);
    const first = await deduplicated([input(s1), input(s2, 2)]);
    expect(first).toMatchObject({ copies: 2, checked: 6, reset: true, differing: 0 });
    expect(first.rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);

    // Same inputs again: nothing new to check.
    expect(await deduplicated([input(s1), input(s2, 2)])).toMatchObject({ copies: 2, checked: 0, reset: false });

    // The cut moves on and a file arrives: only the new rows are checked.
    const f = await parquet('f', [
      { id: 'e', ts: 1, c: 'E' },
      { id: 'c', ts: 1, c: 'C' },
      { id: 'g', ts: 1, c: 'G' },
    ]);
    const later = [input(s1), input(s2), input(f)];
    const carried = await deduplicated(later);
    expect(carried).toMatchObject({ copies: 5, checked: 5, reset: false, differing: 0 });
    expect(carried.rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'g']);
    await dropIndex();
    const fresh = await deduplicated(later);
    expect(fresh).toMatchObject({ copies: 5, checked: 11, reset: true });
    expect(fresh.rows).toEqual(carried.rows);
  });

  it('starts anew when the index covers more than the run, or an input it covers changed', async () => {
    await dropIndex();
    const s = await parquet('s', [
      { id: 'a', ts: 1, c: 'A' },
      { id: 'b', ts: 1, c: 'B' },
      { id: 'a', ts: 1, c: 'A' },
    ]);
    expect(await deduplicated([input(s)])).toMatchObject({ copies: 1, reset: true });
    // A run at an older cut (a run for some views at the published cut after a later run failed).
    const older = await deduplicated([input(s, 2)]);
    expect(older).toMatchObject({ copies: 0, reset: true });
    expect(older.rows.map((r) => r.id)).toEqual(['a', 'b']);
    // The cache file rebuilt with other rows: the index must not trust its old row numbers.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await parquet('s', [
      { id: 'a', ts: 1, c: 'A' },
      { id: 'a', ts: 1, c: 'A' },
      { id: 'b', ts: 1, c: 'B' },
    ]);
    const rebuilt = await deduplicated([input(s)]);
    expect(rebuilt).toMatchObject({ copies: 1, reset: true });
    expect(rebuilt.rows.map((r) => r.id)).toEqual(['a', 'b']);
    // The rows file in use and the one before it (a run may still read it); nothing else.
    const files = (await readdir(join(root, 'dedup'))).sort();
    expect(files.filter((f) => f !== 'state.json').every((f) => /^rows-.*\.parquet$/.test(f))).toBe(true);
    expect(files.length).toBeLessThanOrEqual(3);
    // A rows file gone (removed by hand) or damaged (a crash), or a state that is not one: the index
    // starts anew instead of failing the run.
    for (const file of await readdir(join(root, 'dedup'))) if (file.startsWith('rows-')) await rm(join(root, 'dedup', file));
    expect(await deduplicated([input(s)])).toMatchObject({ copies: 1, reset: true });
    for (const file of await readdir(join(root, 'dedup'))) if (file.startsWith('rows-')) await writeFile(join(root, 'dedup', file), '');
    expect(await deduplicated([input(s)])).toMatchObject({ copies: 1, reset: true });
    await writeFile(join(root, 'dedup', 'state.json'), 'null');
    expect(await deduplicated([input(s)])).toMatchObject({ copies: 1, reset: true });
    // Released after each run, whether a table (rows checked) or a view of the rows file (nothing new).
    expect(await deduplicated([input(s)])).toMatchObject({ checked: 0 });
    const left = `SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = '${DEDUP_ROWS_TABLE}') + (SELECT count(*) FROM duckdb_views() WHERE view_name = '${DEDUP_ROWS_TABLE}') AS n`;
    expect(Number((await duckdb.rows(left))[0]?.['n'])).toBe(0);
  });
});
