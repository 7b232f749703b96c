import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aggregateEvents,
  createEventValidator,
  decodeStatesRow,
  eventProjection,
  hllHashSql,
  hllIndexSql,
  hllRankSql,
  hllRegisterOfHash,
  type HyperLogLog,
  md5Words,
  type MetricState,
  type NormalizedEvent,
  parseViews,
  projectEventsSql,
  projectionColumns,
  quoteIdentifier,
  quoteLiteral,
  readNormalizedJsonSql,
  toNormalizedRow,
  type ViewDefinition,
  type ViewRow,
  ViewRows,
  viewStatesSql,
  type ViewStatesSqlOptions,
} from '@tributary/core';
import { seededRandom } from '@tributary/testing';

/**
 * The generated SQL, run by real DuckDB over normalized events, must produce exactly the states the
 * TypeScript aggregation produces: integers and min/max exactly, sums to 1e-9 relative, HyperLogLog
 * registers bit for bit.
 */

const VIEWS_FILE = join(import.meta.dirname, '../../../../config/views.yaml');
const T0 = Date.UTC(2026, 10, 23, 9, 58, 0);

const awkward = ['DE', 'FR', 'null', '', 'a|b', "O'Brien", 'x"y', 'Zürich', '東京', '😀', '\\n', '1', null];

/** Random raw events: several types, nulls and missing fields, numbers and strings mixed, duplicates. */
function randomRawEvents(n: number, seed: number): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const maybe = <T>(value: T): T | null | undefined => (random() < 0.08 ? null : random() < 0.05 ? undefined : value);
  const userValue = (): unknown => {
    const r = random();
    const k = Math.floor(random() * 400);
    if (r < 0.6) return `u${k}`;
    if (r < 0.75) return k; // number 1 and string "1" are one value
    if (r < 0.8) return String(k);
    if (r < 0.85) return pick([true, false, 0.1, -0, 1e21, 12.5, -7, 'ü', '𝔘ser']);
    return `user-${k}-${pick(awkward) ?? 'x'}`;
  };
  const amount = (): unknown => pick([Math.round(random() * 20_000) / 100, Math.floor(random() * 1000) - 500, 0.1, 1e-7, 123456.789]);
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + Math.floor(random() * 3 * 86_400_000) - 3_600_000;
    const r = random();
    const base = { id: `e${i}`, ts: random() < 0.5 ? ts : new Date(ts).toISOString() };
    let event: Record<string, unknown>;
    if (r < 0.45) {
      event = { ...base, type: 'payment', country: maybe(pick(awkward)), method: maybe(pick(['card', 'sepa', true, 3])), amount: maybe(amount()), user_id: maybe(userValue()) };
    } else if (r < 0.85) {
      event = { ...base, type: 'page_view', page: maybe(pick(['/', '/docs', '/a?b=c'])), device: maybe(pick(['mobile', 'desktop'])), user_id: maybe(userValue()), duration_ms: maybe(Math.floor(random() * 30_000)) };
    } else if (r < 0.95) {
      event = { ...base, type: 'signup', country: maybe(pick(awkward)), plan: maybe(pick(['free', 'pro'])) };
    } else if (r < 0.98) {
      event = { ...base, type: 'other', country: 'DE', amount: 'not a number' }; // valid: no view sums "other"
    } else {
      event = { ...base, type: 'payment', country: 'DE', amount: pick(['12', { v: 1 }]) }; // invalid
    }
    for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
    events.push(event);
    if (random() < 0.1) events.push({ ...event }); // a duplicate: same id, same content
  }
  return events;
}

function dedupById(events: readonly NormalizedEvent[]): NormalizedEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id) !== undefined);
}

async function sqlRows(connection: DuckDBConnection, view: ViewDefinition, source: string, options: Partial<ViewStatesSqlOptions> = {}): Promise<ViewRows> {
  const reader = await connection.runAndReadAll(viewStatesSql(view, { source, ...options }));
  const rows = new ViewRows(view.dimensions.length);
  for (const record of reader.getRowObjectsJS()) {
    const row = decodeStatesRow(view, record);
    expect(rows.get(row.bucket, row.dims), 'one row per (bucket, group)').toBeUndefined();
    rows.set(row);
  }
  return rows;
}

const keyOf = (row: ViewRow): string => JSON.stringify([row.bucket, ...row.dims]);

function expectSameStates(view: ViewDefinition, actual: ViewRows, expected: ViewRows): void {
  expect([...actual].map(keyOf).sort()).toEqual([...expected].map(keyOf).sort());
  for (const want of expected) {
    const key = keyOf(want);
    const got = actual.get(want.bucket, want.dims) as ViewRow;
    view.metrics.forEach((metric, j) => {
      const a = got.states[j] as MetricState;
      const e = want.states[j] as MetricState;
      const where = `${view.name} ${key} ${metric.name}`;
      switch (metric.kind) {
        case 'count':
        case 'min':
        case 'max':
          expect(a, where).toBe(e === 0 ? 0 : e); // -0 and 0 are the same answer
          break;
        case 'sum':
          if (e === null) expect(a, where).toBeNull();
          else expect(Math.abs((a as number) - (e as number)), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e as number)));
          break;
        case 'avg': {
          const { sum, count } = a as { sum: number; count: number };
          const want = e as { sum: number; count: number };
          expect(count, where).toBe(want.count);
          expect(Math.abs(sum - want.sum), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want.sum)));
          break;
        }
        case 'distinct':
          expect((a as HyperLogLog).toPacked(), where).toEqual((e as HyperLogLog).toPacked());
          break;
      }
    });
  }
}

describe('viewStatesSql in DuckDB equals the TypeScript aggregation', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  let dir: string;
  let views: ViewDefinition[];
  let valid: NormalizedEvent[];

  beforeAll(async () => {
    dir = join(tmpdir(), `test-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    views = parseViews(await readFile(VIEWS_FILE, 'utf8'), 'config/views.yaml');
    const validator = createEventValidator(views);
    const receivedAt = T0 + 5 * 86_400_000;
    const results = randomRawEvents(20_000, 42).map((raw) => validator.validate(raw, receivedAt));
    valid = results.flatMap((r) => (r.ok ? [r.event] : []));
    expect(results.filter((r) => !r.ok).length).toBeGreaterThan(100);
    const ndjson = join(dir, 'events.ndjson');
    await writeFile(ndjson, valid.map((e) => JSON.stringify(toNormalizedRow(e))).join('\n') + '\n');
    instance = await DuckDBInstance.create(join(dir, 'test.duckdb'));
    connection = await instance.connect();
    await connection.run(`CREATE TABLE events AS SELECT * FROM ${readNormalizedJsonSql(quoteLiteral(ndjson))}`);
    await connection.run(`COPY events TO ${quoteLiteral(join(dir, 'events.parquet'))} (FORMAT parquet)`);
  });

  afterAll(async () => {
    connection?.closeSync();
    instance?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it("hashes like TypeScript: md5_number_upper = md5's first 8 bytes, little-endian", async () => {
    const random = seededRandom(7);
    const texts = ['', 'a', 'hello', '1', 'true', 'Zürich', '東京', '😀', "O'Brien", 'x'.repeat(200)];
    const codePoint = (): number => {
      const cp = 1 + Math.floor(random() * (random() < 0.7 ? 127 : 0x2ffff));
      return cp >= 0xd800 && cp <= 0xdfff ? 0x41 : cp; // DuckDB holds valid UTF-8 only
    };
    for (let i = 0; i < 300; i++) texts.push(String.fromCodePoint(...Array.from({ length: Math.floor(random() * 30) }, codePoint)));
    const values = texts;
    await connection.run('CREATE TEMP TABLE texts (i INTEGER, t VARCHAR)');
    await connection.run(`INSERT INTO texts VALUES ${values.map((t, i) => `(${i}, ${quoteLiteral(t)})`).join(', ')}`);
    const reader = await connection.runAndReadAll(`SELECT i, ${hllHashSql('t')} AS h FROM texts ORDER BY i`);
    const words = new Int32Array(4);
    for (const { i, h } of reader.getRowObjectsJS()) {
      md5Words(values[Number(i)] as string, words);
      const expected = (BigInt((words[1] as number) >>> 0) << 32n) | BigInt((words[0] as number) >>> 0);
      expect(h, JSON.stringify(values[Number(i)])).toBe(expected);
    }
  });

  it('computes register index and rank like TypeScript, at every bit boundary', async () => {
    const hashes = new Set<bigint>([0n, 1n, 16_383n, 16_384n, 2n ** 64n - 1n]);
    for (let bit = 0n; bit < 64n; bit++) for (const delta of [-1n, 0n, 1n]) hashes.add((2n ** bit + delta) & (2n ** 64n - 1n));
    const random = seededRandom(9);
    for (let i = 0; i < 2000; i++) hashes.add((BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)) >> BigInt(Math.floor(random() * 64)));
    const list = [...hashes];
    const reader = await connection.runAndReadAll(
      `SELECT h, ${hllIndexSql('h')} AS idx, ${hllRankSql('h')} AS rnk FROM (SELECT unnest([${list.map((h) => `${h}::UBIGINT`).join(', ')}]) AS h)`,
    );
    const rows = reader.getRowObjectsJS();
    expect(rows).toHaveLength(list.length);
    for (const { h, idx, rnk } of rows) {
      const hash = h as bigint;
      const expected = hllRegisterOfHash(Number(hash & 0xffffffffn), Number(hash >> 32n));
      expect({ idx: Number(idx), rnk: Number(rnk) }, hash.toString(16)).toEqual({ idx: expected.index, rnk: expected.rank });
    }
  });

  it('holds duplicates, nulls and several types in the input', async () => {
    const reader = await connection.runAndReadAll('SELECT count(*) - count(DISTINCT id) AS dups, count(DISTINCT type) AS types FROM events');
    const [row] = reader.getRowObjectsJS();
    expect(Number(row?.['dups'])).toBeGreaterThan(500);
    expect(Number(row?.['types'])).toBe(4);
  });

  it('matches for every default view (table source, dedup by id in SQL)', async () => {
    const unique = dedupById(valid);
    for (const view of views) {
      const expected = aggregateEvents(view, unique);
      expect(expected.size).toBeGreaterThan(10);
      expectSameStates(view, await sqlRows(connection, view, quoteIdentifier('events')), expected);
    }
  });

  it('matches over a Parquet source', async () => {
    const view = views[0] as ViewDefinition;
    const source = `read_parquet(${quoteLiteral(join(dir, 'events.parquet'))})`;
    expectSameStates(view, await sqlRows(connection, view, source), aggregateEvents(view, dedupById(valid)));
  });

  it('matches over projected columns (typed columns and precomputed registers instead of maps and md5)', async () => {
    const projection = eventProjection(views);
    const projected = join(dir, 'projected.parquet');
    await connection.run(`COPY (${projectEventsSql('events', projection, 'type, ts')}) TO ${quoteLiteral(projected)} (FORMAT parquet)`);
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(projected)})`)).getRowObjectsJS();
    const types = Object.fromEntries(described.map((r) => [r['column_name'], r['column_type']]));
    expect(types).toMatchObject(projectionColumns(projection));
    expect(types).toMatchObject({ id: 'VARCHAR', attrs: 'MAP(VARCHAR, VARCHAR)' });
    const unique = dedupById(valid);
    for (const view of views) {
      const source = `read_parquet(${quoteLiteral(projected)})`;
      expectSameStates(view, await sqlRows(connection, view, source, { projection }), aggregateEvents(view, unique));
    }
    expect(() => viewStatesSql(views[0] as ViewDefinition, { source: 'x', projection: { texts: [], numbers: [], registers: [] } })).toThrow('the projection has no column');
  });

  it('counts duplicates when dedupById is off', async () => {
    const view = views.find((v) => v.name === 'signups_daily') as ViewDefinition;
    const reader = await connection.runAndReadAll(viewStatesSql(view, { source: 'events', dedupById: false, orderBy: false }));
    const rows = new ViewRows(view.dimensions.length);
    for (const record of reader.getRowObjectsJS()) rows.set(decodeStatesRow(view, record));
    expectSameStates(view, rows, aggregateEvents(view, valid));
  });

  it('dedups by subtraction: states of every row minus the copies equal the states of the unique events', async () => {
    // The copies: every row but the first of its id (exact copies, as the contract assumes).
    const projection = eventProjection(views);
    const projected = join(dir, 'projected-all.parquet');
    await connection.run(`COPY (${projectEventsSql('events', projection)}) TO ${quoteLiteral(projected)} (FORMAT parquet)`);
    await connection.run(
      `CREATE TEMP TABLE copies AS SELECT * FROM read_parquet(${quoteLiteral(projected)}) QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts) > 1`,
    );
    const copies = (await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM copies')).getRowObjectsJS()[0]?.['n'];
    expect(copies).toBe(valid.length - dedupById(valid).length);
    const unique = dedupById(valid);
    for (const view of views) {
      const source = `read_parquet(${quoteLiteral(projected)})`;
      const subtracted = await sqlRows(connection, view, source, { projection, dedupById: false, subtract: 'copies' });
      expectSameStates(view, subtracted, aggregateEvents(view, unique));
    }
    expect(() => viewStatesSql(views[0] as ViewDefinition, { source: 'x', subtract: 'copies' })).toThrow('subtract requires dedupById: false');
  });

  it('gives the same states with registers first (per group and register index, then per group)', async () => {
    const unique = dedupById(valid);
    for (const view of views) {
      const sql = viewStatesSql(view, { source: 'events', registersFirst: true });
      if (view.metrics.filter((m) => m.kind === 'distinct').length === 1) expect(sql, view.name).toContain('registers AS (');
      expectSameStates(view, await sqlRows(connection, view, quoteIdentifier('events'), { registersFirst: true }), aggregateEvents(view, unique));
    }
    const projection = eventProjection(views);
    const projected = join(dir, 'projected-all.parquet');
    for (const view of views) {
      const source = `read_parquet(${quoteLiteral(projected)})`;
      const rows = await sqlRows(connection, view, source, { projection, dedupById: false, subtract: 'copies', registersFirst: true });
      expectSameStates(view, rows, aggregateEvents(view, unique));
    }
  });

  it('computes dense HyperLogLog registers bit for bit for 200 000 distinct values in one group', async () => {
    const view = parseViews(
      'views: [{ name: uniques, eventTypes: [hit], granularity: day, metrics: [{ name: users, kind: distinct, field: u }, { name: hits, kind: count }] }]',
      'inline.yaml',
    )[0] as ViewDefinition;
    const events: NormalizedEvent[] = Array.from({ length: 200_000 }, (_, i) => ({
      id: `h${i}`,
      type: 'hit',
      ts: T0,
      attrs: { u: i % 3 === 0 ? i : `user-${i}-é` },
    }));
    const ndjson = join(dir, 'hits.ndjson');
    await writeFile(ndjson, events.map((e) => JSON.stringify(toNormalizedRow(e))).join('\n') + '\n');
    const rows = await sqlRows(connection, view, readNormalizedJsonSql(quoteLiteral(ndjson)));
    const expected = aggregateEvents(view, events);
    expectSameStates(view, rows, expected);
    expectSameStates(view, await sqlRows(connection, view, readNormalizedJsonSql(quoteLiteral(ndjson)), { registersFirst: true }), expected);
    // Stored folded: one entry per register, not one per event.
    const stored = await connection.runAndReadAll(`SELECT len(m_users)::INTEGER AS n FROM (${viewStatesSql(view, { source: readNormalizedJsonSql(quoteLiteral(ndjson)) })})`);
    expect(stored.getRowObjectsJS()[0]?.['n']).toBe((expected.get(T0 - (T0 % 86_400_000), [])?.states[0] as HyperLogLog).toPacked().length);
    const [row] = [...rows.values()];
    const hll = row?.states[0] as HyperLogLog;
    expect(hll.isSparse).toBe(false);
    expect(Math.abs(hll.estimate() / 200_000 - 1)).toBeLessThan(0.02);
  });
});
