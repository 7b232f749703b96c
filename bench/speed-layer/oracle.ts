import type { SpeedStore } from '@tributary/adapter-redis';
import { createEventValidator, createViewAggregator, ViewRows, type AvgState, type HyperLogLog, type ViewDefinition } from '@tributary/core';
import { demoEvent, seededRandom } from '../../tools/demo/demo-events';

/** How the bulk events were made, to make them again: `seededRandom(seed)`, then batches in order. */
export interface BulkRecipe {
  seed: number;
  runId: string;
  batches: Array<{ wallNow: number; count: number }>;
}

export interface OracleCheck {
  views: number;
  rows: number;
  /** States that differ from the oracle, plus rows only one side has. */
  mismatches: number;
  /** HyperLogLog registers compared (the sum of the oracle's packed lengths). */
  registers: number;
  firstMismatch?: string;
}

/**
 * Recomputes every view's states from the same demo events the bench produced (same seed, same
 * clock per batch) and compares them with what the speed layer wrote to Redis: counts, min/max and
 * HyperLogLog registers exactly, sums and averages' sums to 1e-9 relative.
 */
export async function checkAgainstOracle(store: SpeedStore, views: readonly ViewDefinition[], recipe: BulkRecipe): Promise<OracleCheck> {
  const validator = createEventValidator(views, { maxFutureSkewMs: 300_000 });
  const aggregators = views.map(createViewAggregator);
  const expected = views.map((v) => new ViewRows(v.dimensions.length));
  const random = seededRandom(recipe.seed);
  let sequence = 0;
  for (const { wallNow, count } of recipe.batches) {
    for (let i = 0; i < count; i++, sequence++) {
      const result = validator.parse(JSON.stringify(demoEvent(random, wallNow, sequence, recipe.runId)), wallNow);
      if (!result.ok) throw new Error(`oracle: demo event ${sequence} rejected: ${result.reason}`);
      for (let v = 0; v < aggregators.length; v++) (aggregators[v] as (typeof aggregators)[number]).add(expected[v] as ViewRows, result.event);
    }
  }

  const check: OracleCheck = { views: views.length, rows: 0, mismatches: 0, registers: 0 };
  const mismatch = (where: string) => {
    check.mismatches++;
    check.firstMismatch ??= where;
  };
  for (const [v, view] of views.entries()) {
    const want = expected[v] as ViewRows;
    const have = await store.readStates(view, { fromBucket: 0, toBucket: Number.MAX_SAFE_INTEGER, afterGeneration: 0 });
    if (have.size !== want.size) mismatch(`${view.name}: ${have.size} rows in Redis, ${want.size} expected`);
    for (const row of want) {
      check.rows++;
      const where = `${view.name} ${new Date(row.bucket).toISOString()} ${JSON.stringify(row.dims)}`;
      const got = have.get(row.bucket, row.dims);
      if (!got) {
        mismatch(`${where}: missing`);
        continue;
      }
      view.metrics.forEach((metric, i) => {
        const a = got.states[i];
        const b = row.states[i];
        let same: boolean;
        switch (metric.kind) {
          case 'sum':
            same = close(a as number | null, b as number | null);
            break;
          case 'avg':
            same = (a as AvgState).count === (b as AvgState).count && close((a as AvgState).sum, (b as AvgState).sum);
            break;
          case 'distinct': {
            const wantPacked = (b as HyperLogLog).toPacked();
            check.registers += wantPacked.length;
            same = JSON.stringify((a as HyperLogLog).toPacked()) === JSON.stringify(wantPacked);
            break;
          }
          default:
            same = a === b;
        }
        if (!same) mismatch(`${where} ${metric.name}`);
      });
    }
  }
  return check;
}

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}
