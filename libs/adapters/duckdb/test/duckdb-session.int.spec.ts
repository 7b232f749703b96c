import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDB, pathListSql } from '../src/index';

// The session the batch layer uses: DuckDB writes Parquet itself and reports the rows written;
// big results stream out chunk by chunk.
const dir = await mkdtemp(join(tmpdir(), 'test-duckdb-session-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('openDuckDB', () => {
  it('copies a query to Parquet, reads it back, and streams large results in chunks', async () => {
    const duckdb = await openDuckDB({ threads: 1, tempDirectory: join(dir, 'spill') });
    try {
      const file = join(dir, "it's.parquet");
      expect(await duckdb.copyToParquet('SELECT i, i % 7 AS k FROM range(10000) t(i)', file)).toBe(10_000);
      expect(await duckdb.rows(`SELECT count(*)::INTEGER AS n, sum(k)::INTEGER AS s FROM read_parquet(${pathListSql([file])})`)).toEqual([{ n: 10_000, s: 29_994 }]);
      let rows = 0;
      let chunks = 0;
      for await (const chunk of duckdb.stream(`SELECT i FROM read_parquet(${pathListSql([file])})`)) {
        chunks++;
        rows += chunk.length;
      }
      expect(rows).toBe(10_000);
      expect(chunks).toBeGreaterThan(1);
    } finally {
      duckdb.close();
      duckdb.close(); // idempotent
    }
  });
});
