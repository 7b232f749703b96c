import { openDuckDB, type DuckDBSession } from '@tributary/adapter-duckdb';
import { lakeExtras, lakePaths } from '@tributary/adapter-lake';
import {
  decodeStatesRow,
  eventProjection,
  type HyperLogLog,
  type MetricState,
  type NormalizedEvent,
  parseViews,
  projectEventsSql,
  quoteLiteral,
  readNormalizedJsonSql,
  toNormalizedRow,
  type ViewDefinition,
  viewStatesSql,
} from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import { seededRandom } from '@tributary/testing';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/jobs/batch-context';
import { computeViews, masterSourceSql } from '../src/jobs/compute-views';
import type { NormalizedInput } from '../src/jobs/master-dataset';

// computeViews over runs that carry the dedup index (new inputs, a cut moving inside a segment,
// colliding id hashes) must equal the views' SQL over the run's events deduplicated from scratch —
// by subtraction when copies are exact, by anti-join when some differ.
const views = parseViews(
  `views:
  - { name: v1, eventTypes: [t], granularity: day, dimensions: [c], metrics: [{ name: n, kind: count }, { name: s, kind: sum, field: a }, { name: av, kind: avg, field: a }, { name: lo, kind: min, field: a }, { name: u, kind: distinct, field: c }] }
  - { name: v2, eventTypes: [t, w], granularity: hour, dimensions: [c, d], metrics: [{ name: n, kind: count }, { name: hi, kind: max, field: a }, { name: u, kind: distinct, field: d }] }
`,
  'inline.yaml',
);
const projection = eventProjection(views);
const KEY = 'test-key';

describe('computeViews with the dedup index carried across runs (real DuckDB)', () => {
  let dir: string;
  let duckdb: DuckDBSession;
  let ctx: BatchContext;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'test-compute-views-'));
    duckdb = await openDuckDB();
    const paths = lakePaths(join(dir, 'lake'));
    ctx = { duckdb, paths, extras: lakeExtras(paths), views, normalizationKey: KEY, logger: createLogger({ app: 'test', level: 'error' }) } as unknown as BatchContext;
  });
  afterAll(async () => {
    duckdb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One view's states in a Parquet file or query, decoded and keyed by (bucket, dims). */
  async function statesOf(view: ViewDefinition, select: string): Promise<Map<string, MetricState[]>> {
    const out = new Map<string, MetricState[]>();
    for (const record of await duckdb.rows(select)) {
      const row = decodeStatesRow(view, record);
      out.set(JSON.stringify([row.bucket, ...row.dims]), row.states as MetricState[]);
    }
    return out;
  }

  function expectSame(view: ViewDefinition, actual: Map<string, MetricState[]>, expected: Map<string, MetricState[]>, where: string): void {
    expect([...actual.keys()].sort(), where).toEqual([...expected.keys()].sort());
    for (const [key, want] of expected) {
      const got = actual.get(key) as MetricState[];
      view.metrics.forEach((metric, j) => {
        const a = got[j] as MetricState;
        const e = want[j] as MetricState;
        const at = `${where} ${view.name} ${key} ${metric.name}`;
        if (metric.kind === 'distinct') expect((a as HyperLogLog).toPacked(), at).toEqual((e as HyperLogLog).toPacked());
        else if (metric.kind === 'avg') {
          const [x, y] = [a as { sum: number; count: number }, e as { sum: number; count: number }];
          expect(x.count, at).toBe(y.count);
          expect(Math.abs(x.sum - y.sum), at).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y.sum)));
        } else if (typeof e === 'number' && metric.kind === 'sum') expect(Math.abs((a as number) - e), at).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
        else expect(a, at).toEqual(e);
      });
    }
  }

  for (const differing of [false, true]) {
    it(differing ? 'equals a fresh dedup when some copies differ (anti-join)' : 'equals a fresh dedup when copies are exact (subtraction)', async () => {
      const random = seededRandom(differing ? 11 : 7);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const root = ctx.extras.normalized(KEY).root;
      await rm(root, { recursive: true, force: true });
      const firstOf = new Map<string, NormalizedEvent>();
      const event = (): NormalizedEvent => {
        const id = `i${Math.floor(random() * 40)}`;
        const seen = firstOf.get(id);
        if (seen !== undefined && (!differing || random() < 0.6)) return seen;
        const attrs: Record<string, string | number | null> = { c: pick(['x', 'y', null]), a: pick([1.5, 2, -3, 0.1, null]) };
        if (random() < 0.7) attrs['d'] = pick(['p', 'q']);
        const fresh: NormalizedEvent = { id, type: pick(['t', 'w', 'z']), ts: 86_400_000 * pick([0, 1]) + pick([0, 3_600_000]), attrs };
        if (seen === undefined) firstOf.set(id, fresh);
        return fresh;
      };
      /** A normalized input of n events; ids hash into 3 values only, so unrelated ids collide. */
      const input = async (name: string, n: number): Promise<NormalizedInput> => {
        const ndjson = join(dir, `${name}.ndjson`);
        await writeFile(ndjson, Array.from({ length: n }, () => JSON.stringify(toNormalizedRow(event()))).join('\n') + '\n');
        const parquet = join(root, 'kafka', `${name}.parquet`);
        await mkdir(join(root, 'kafka'), { recursive: true });
        const source = `(SELECT *, row_number() OVER () - 1 AS src_position FROM ${readNormalizedJsonSql(quoteLiteral(ndjson))})`;
        await duckdb.run(`COPY (SELECT * REPLACE (id_hash % 3 AS id_hash) FROM (${projectEventsSql(source, projection, 'type, ts, src_position')})) TO ${quoteLiteral(parquet)} (FORMAT parquet)`);
        return { kind: 'segment', name, parquet, meta: { records: n, valid: n, rejected: 0, rejectedPositions: [] } };
      };

      const inputs: NormalizedInput[] = [];
      for (let run = 0; run < 6; run++) {
        inputs.push(await input(`s${run}`, 25));
        // The cut falls inside the newest input every other run; the next run reads it whole.
        const runInputs = inputs.map((i, k) => (k === inputs.length - 1 && run % 2 === 0 ? { ...i, below: 12 } : i));
        const out = join(dir, `${differing}-run${run}`);
        await mkdir(out, { recursive: true });
        await computeViews(ctx, views, runInputs, out, async () => undefined);
        const all = masterSourceSql(runInputs, projection);
        const fresh = `(SELECT * FROM ${all} QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts, filename, file_row_number) = 1)`;
        for (const view of views) {
          const expected = await statesOf(view, viewStatesSql(view, { source: fresh, dedupById: false, projection }));
          expectSame(view, await statesOf(view, `SELECT * FROM read_parquet(${quoteLiteral(join(out, `${view.name}.parquet`))})`), expected, `run ${run}`);
        }
      }
    });
  }
});
