import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Proves DuckDB works on real files: it writes a Parquet file and a database file, then reads
// both back after reopening.
const dir = await mkdtemp(join(tmpdir(), 'tributary-duckdb-'));

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDB (real files)', () => {
  it('reads back a Parquet file it wrote', async () => {
    const parquet = join(dir, 'events.parquet');
    const instance = await DuckDBInstance.create(join(dir, 'smoke.duckdb'));
    const connection = await instance.connect();
    await connection.run(`
      CREATE TABLE events AS
        SELECT 'e' || i AS id, CASE WHEN i % 3 = 0 THEN 'payment' ELSE 'page_view' END AS type, i * 1.5 AS amount
        FROM range(1000) t(i)`);
    await connection.run(`COPY events TO '${parquet}' (FORMAT parquet)`);
    connection.closeSync();
    instance.closeSync();
    expect((await stat(parquet)).size).toBeGreaterThan(0);

    const reopened = await DuckDBInstance.create(join(dir, 'smoke.duckdb'));
    const reader = await reopened.connect();
    const rows = (
      await reader.runAndReadAll(
        `SELECT type, count(*)::INTEGER AS n, sum(amount)::DOUBLE AS total FROM read_parquet('${parquet}') GROUP BY type ORDER BY type`,
      )
    ).getRowObjectsJS();
    expect(rows).toEqual([
      { type: 'page_view', n: 666, total: 1.5 * (499_500 - 166_833) },
      { type: 'payment', n: 334, total: 1.5 * 166_833 },
    ]);
    const persisted = (await reader.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events')).getRowObjectsJS();
    expect(persisted).toEqual([{ n: 1000 }]);
    reader.closeSync();
    reopened.closeSync();
  });
});
