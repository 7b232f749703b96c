import { openDuckDB, type DuckDBSession } from '@tributary/adapter-duckdb';
import { encodeSegmentRecord, lakeExtras, lakePaths, listSegments, writeSegment } from '@tributary/adapter-lake';
import { createEventValidator, eventProjection, parseViews, quoteLiteral, type ViewDefinition } from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/jobs/batch-context';
import { normalizedInputs } from '../src/jobs/master-dataset';
import { computeColumns, normalizationKey } from '../src/jobs/normalization';
import { tempLake } from './support';

// A change of a view's fields (not of what makes an event valid) must not normalize the raw data
// again: the new cache is derived from the old one in DuckDB, equal to what normalizing would build.
const TOPIC = 'derive';
const before = parseViews('views: [{ name: v, eventTypes: [pay], granularity: hour, dimensions: [country], metrics: [{ name: s, kind: sum, field: amount }] }]', 'a.yaml');
const after = parseViews(
  'views: [{ name: v, eventTypes: [pay], granularity: hour, dimensions: [country, method], metrics: [{ name: s, kind: sum, field: amount }, { name: u, kind: distinct, field: user }] }]',
  'b.yaml',
);

describe('the normalized cache after a view change (real DuckDB)', () => {
  let lake: Awaited<ReturnType<typeof tempLake>>;
  let duckdb: DuckDBSession;
  const contextFor = (views: ViewDefinition[]): BatchContext =>
    ({
      topic: TOPIC,
      paths: lakePaths(lake.dir),
      extras: lakeExtras(lakePaths(lake.dir)),
      views,
      validator: createEventValidator(views),
      normalizationKey: normalizationKey(views, 86_400_000),
      duckdb,
      logger: createLogger({ app: 'test', level: 'warn' }),
    }) as unknown as BatchContext;
  const cut = { '0': '40' };
  const noProgress = async () => undefined;
  /** The cached rows of the segment, every computed column, in position order. */
  const rowsOf = async (ctx: BatchContext, parquet: string) =>
    duckdb.rows(`SELECT ${Object.keys(computeColumns(eventProjection(ctx.views))).join(', ')}, src_position FROM read_parquet(${quoteLiteral(parquet)}) ORDER BY src_position`);

  beforeAll(async () => {
    lake = await tempLake();
    duckdb = await openDuckDB();
    const lines = Array.from({ length: 40 }, (_, i) => {
      const event = i % 10 === 9 ? { id: `e${i}`, type: 'pay', ts: 1_000, amount: 'not a number' } : { id: `e${i}`, type: 'pay', ts: 1_000 + i, country: i % 3 === 0 ? 'DE' : 'FR', method: i % 2 === 0 ? 'card' : null, amount: i, user: `u${i % 7}` };
      return encodeSegmentRecord({ offset: String(i), timestamp: '2000', key: null, value: Buffer.from(JSON.stringify(event)) });
    });
    await writeSegment(lakePaths(lake.dir), TOPIC, 0, { first: '0', last: '39', lines });
  });
  afterAll(async () => {
    duckdb?.close();
    await lake?.remove();
  });

  it('derives the new cache from the old one, without reading the raw data, equal to a fresh build', async () => {
    const first = contextFor(before);
    const [built] = await normalizedInputs(first, cut, noProgress);
    expect(built?.meta).toMatchObject({ records: 40, valid: 36, rejected: 4 });

    // The raw segment becomes unreadable: the next key must not need it.
    const [segment] = await listSegments(lakePaths(lake.dir), TOPIC, 0);
    const raw = await readFile(segment?.path as string);
    await writeFile(segment?.path as string, 'not a segment\n');
    const second = contextFor(after);
    expect(second.normalizationKey).not.toBe(first.normalizationKey);
    const [derived] = await normalizedInputs(second, cut, noProgress);
    expect(derived?.meta).toEqual(built?.meta);
    const derivedRows = await rowsOf(second, derived?.parquet as string);
    expect(derivedRows).toHaveLength(36);
    expect(derivedRows[0]).toMatchObject({ id: 'e0', pa0: 'DE', pa1: 'card', pa2: 'u0', pn0: 0 });

    // Normalized from the raw data instead, the same rows.
    await writeFile(segment?.path as string, raw);
    await rm(second.extras.normalized(second.normalizationKey).root, { recursive: true, force: true });
    await rm(first.extras.normalized(first.normalizationKey).root, { recursive: true, force: true });
    const [rebuilt] = await normalizedInputs(second, cut, noProgress);
    expect(await rowsOf(second, rebuilt?.parquet as string)).toEqual(derivedRows);

    // From a cache that does not say which field each column holds (made before projection.json):
    // every projected column is computed from attrs and nums, with the same result.
    await rm(second.extras.normalized(second.normalizationKey).root, { recursive: true, force: true });
    await normalizedInputs(first, cut, noProgress);
    await rm(join(first.extras.normalized(first.normalizationKey).root, 'projection.json'));
    await writeFile(segment?.path as string, 'not a segment\n');
    const [again] = await normalizedInputs(second, cut, noProgress);
    expect(await rowsOf(second, again?.parquet as string)).toEqual(derivedRows);
  });
});
