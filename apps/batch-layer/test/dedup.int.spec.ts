import { openDuckDB, type DuckDBSession } from '@tributary/adapter-duckdb';
import { eventProjection, parseViews, quoteLiteral, toNormalizedRow, projectEventsSql, readNormalizedJsonSql } from '@tributary/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/jobs/batch-context';
import { deduplicatedSource, dropDeduplicated, masterSourceSql } from '../src/jobs/compute-views';
import type { NormalizedInput } from '../src/jobs/master-dataset';

// Dedup by id in real DuckDB over normalized Parquet, including ids whose hashes collide: the hash
// only finds candidates, the full id decides.
const views = parseViews('views: [{ name: v, eventTypes: [t], granularity: day, dimensions: [c], metrics: [{ name: n, kind: count }] }]', 'inline.yaml');
const projection = eventProjection(views);

describe('dedup by id over the normalized cache (real DuckDB)', () => {
  let dir: string;
  let duckdb: DuckDBSession;
  const input = (parquet: string, below?: number): NormalizedInput => ({
    kind: 'segment',
    name: parquet,
    parquet,
    meta: { records: 0, valid: 0, rejected: 0, rejectedPositions: [] },
    ...(below === undefined ? {} : { below }),
  });

  /** Writes events as normalized Parquet; `collide` gives every row the same id hash. */
  async function parquet(name: string, events: Array<{ id: string; ts: number; c: string }>, collide = false): Promise<string> {
    const ndjson = join(dir, `${name}.ndjson`);
    await writeFile(ndjson, events.map((e) => JSON.stringify(toNormalizedRow({ id: e.id, type: 't', ts: e.ts, attrs: { c: e.c } }))).join('\n') + '\n');
    const target = join(dir, `${name}.parquet`);
    const source = `(SELECT *, row_number() OVER () - 1 AS src_position FROM ${readNormalizedJsonSql(quoteLiteral(ndjson))})`;
    const select = projectEventsSql(source, projection);
    await duckdb.run(`COPY (${collide ? `SELECT * REPLACE (42::UBIGINT AS id_hash) FROM (${select})` : select}) TO ${quoteLiteral(target)} (FORMAT parquet)`);
    return target;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'test-dedup-'));
    duckdb = await openDuckDB();
  });
  afterAll(async () => {
    duckdb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the earliest copy of each id, across files, cut parts and colliding hashes', async () => {
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
    const ctx = { duckdb } as unknown as BatchContext;
    const source = masterSourceSql([input(a), input(b, 2), input(c)], projection);
    const deduplicated = await deduplicatedSource(ctx, source);
    try {
      const rows = await duckdb.rows(`SELECT id, pa0 AS c FROM ${deduplicated.source} ORDER BY id`);
      expect(rows).toEqual([
        { id: 'p', c: 'p1' },
        { id: 'q', c: 'q' },
        { id: 'r', c: 'r' },
        { id: 'w', c: 'w' },
        { id: 'x', c: 'early' },
        { id: 'y', c: 'y' },
        { id: 'z', c: 'z' },
      ]);
      expect(deduplicated.dropped).toBe(2);
    } finally {
      await dropDeduplicated(ctx);
    }
  });
});
