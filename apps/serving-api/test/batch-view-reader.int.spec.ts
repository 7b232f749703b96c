import { createBatchViewReader, openDuckDB } from '@tributary/adapter-duckdb';
import { aggregateEvents, type NormalizedEvent, quoteLiteral, readNormalizedJsonSql, toNormalizedRow, viewStatesSql } from '@tributary/core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { views } from './serving-harness';

/** The batch half over real Parquet written by DuckDB from core's SQL, as the batch layer writes it. */
describe('createBatchViewReader', () => {
  const view = views[0] as (typeof views)[number];
  const T = Date.UTC(2026, 10, 23, 10, 0, 0);
  const base: NormalizedEvent[] = Array.from({ length: 280 }, (_, i) => ({
    id: `e${i}`,
    type: 'payment',
    ts: T + (i % 90) * 60_000 + i,
    attrs: { country: ['DE', 'FR', null, ''][i % 4] ?? null, method: i % 3 ? 'card' : 'sepa', amount: i % 7 ? i / 4 : null, user_id: `u${i % 37}` },
  }));
  const events = [...base, ...base.slice(0, 20)]; // copies: same id, same content
  let lakeDir: string;

  beforeAll(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'tributary-reader-'));
    const input = join(lakeDir, 'events.ndjson');
    await writeFile(input, events.map((e) => JSON.stringify(toNormalizedRow(e))).join('\n'));
    await mkdir(join(lakeDir, 'views', 'v1'), { recursive: true });
    const duckdb = await openDuckDB({ threads: 1 });
    await duckdb.copyToParquet(viewStatesSql(view, { source: readNormalizedJsonSql(quoteLiteral(input)) }), join(lakeDir, 'views', 'v1', `${view.name}.parquet`));
    duckdb.close();
  });
  afterAll(() => rm(lakeDir, { recursive: true, force: true }));

  it('reads the states of a range, equal to core aggregation over the events (ids once)', async () => {
    const reader = await createBatchViewReader({ lakeDir });
    const unique = base;
    const from = T + 10 * 60_000;
    const to = T + 40 * 60_000;
    const rows = await reader.readStates('v1', view, { fromBucket: from, toBucket: to });
    const expected = [...aggregateEvents(view, unique)].filter((r) => r.bucket >= from && r.bucket < to);
    expect(rows?.size).toBe(expected.length);
    for (const want of expected) {
      const got = rows?.get(want.bucket, want.dims);
      expect(got?.states[0]).toBe(want.states[0]);
      expect(got?.states[3]).toBe(want.states[3]);
    }
    expect(await reader.readStates('v1', view, { fromBucket: from, toBucket: to })).toBe(rows); // cached
    reader.close();
  });

  it('answers undefined for a version or view without a file, also after the version is deleted', async () => {
    const reader = await createBatchViewReader({ lakeDir });
    expect(await reader.readStates('v0', view, { fromBucket: T, toBucket: T + 60_000 })).toBeUndefined();
    expect(await reader.readStates('v1', views[1] as typeof view, { fromBucket: T, toBucket: T + 60_000 })).toBeUndefined();
    await mkdir(join(lakeDir, 'views', 'v9'), { recursive: true });
    await writeFile(join(lakeDir, 'views', 'v9', `${view.name}.parquet`), 'not parquet');
    await expect(reader.readStates('v9', view, { fromBucket: T, toBucket: T + 60_000 })).rejects.toThrow();
    await rm(join(lakeDir, 'views', 'v9'), { recursive: true });
    expect(await reader.readStates('v9', view, { fromBucket: T, toBucket: T + 60_000 })).toBeUndefined();
    await expect(reader.readStates('../etc', view, { fromBucket: T, toBucket: T + 1 })).rejects.toThrow(/not a batch version name/);
    reader.close();
  });
});
