import { openDuckDB } from '@tributary/adapter-duckdb';
import { lakePaths, readCurrentVersion } from '@tributary/adapter-lake';
import {
  aggregateEvents,
  decodeStatesRow,
  type HyperLogLog,
  type MetricState,
  type NormalizedEvent,
  quoteLiteral,
  type ViewDefinition,
  type ViewRow,
  ViewRows,
} from '@tributary/core';
import { seededRandom } from '@tributary/testing';
import { join } from 'node:path';
import { expect } from 'vitest';

export interface GeneratedEvents {
  /** What to send: JSON texts (or raw bytes), valid or not, duplicates included. */
  messages: Array<{ key: string; value: string | Buffer }>;
  /** The valid events, as the contract defines them (built here, not by core's validator). */
  valid: NormalizedEvent[];
  invalid: number;
}

/**
 * Events for the default views (config/views.yaml): payments, page views and signups over a few
 * hours, with nulls, duplicates (same id, same content) and events every layer must reject.
 */
export function generateEvents(n: number, options: { seed: number; idPrefix: string; now: number }): GeneratedEvents {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const messages: GeneratedEvents['messages'] = [];
  const valid: NormalizedEvent[] = [];
  let invalid = 0;
  for (let i = 0; i < n; i++) {
    const id = `${options.idPrefix}${i}`;
    const ts = options.now - Math.floor(random() * 6 * 3_600_000);
    const r = random();
    let attrs: Record<string, string | number | boolean | null>;
    let type: string;
    if (r < 0.45) {
      type = 'payment';
      attrs = { country: pick(['DE', 'FR', 'US', null]), method: pick(['card', 'sepa']), amount: pick([Math.round(random() * 10_000) / 100, null, 7, 0.1]), user_id: `u${Math.floor(random() * 300)}` };
    } else if (r < 0.85) {
      type = 'page_view';
      attrs = { page: pick(['/', '/docs', '/pricing']), device: pick(['mobile', 'desktop']), user_id: pick([`u${Math.floor(random() * 300)}`, 42, null]), duration_ms: Math.floor(random() * 30_000) };
    } else {
      type = 'signup';
      attrs = { country: pick(['DE', 'FR', 'JP']), plan: pick(['free', 'pro']) };
    }
    const event = { id, type, ts: random() < 0.5 ? ts : new Date(ts).toISOString(), ...attrs };
    const text = JSON.stringify(event);
    messages.push({ key: id, value: text });
    valid.push({ id, type, ts, attrs });
    if (random() < 0.08) messages.push({ key: `${id}-copy`, value: text }); // a copy, maybe in another partition
    if (random() < 0.03) {
      invalid++;
      messages.push({
        key: `bad${i}`,
        value: pick([
          '{"id":"broken"',
          JSON.stringify({ type: 'payment', ts }),
          JSON.stringify({ id: `bad${i}`, type: 'payment', ts, amount: '12' }),
          JSON.stringify({ id: `bad${i}`, type: 'signup', ts: options.now + 3 * 86_400_000 }),
          Buffer.from([0xff, 0xfe]),
        ]),
      });
    }
  }
  return { messages, valid, invalid };
}

export function distinctById(events: readonly NormalizedEvent[]): NormalizedEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id) !== undefined);
}

export const oracle = (view: ViewDefinition, valid: readonly NormalizedEvent[]): ViewRows => aggregateEvents(view, distinctById(valid));

/** The states of a view in the published batch version, read from its Parquet file. */
export async function readBatchView(lakeDir: string, view: ViewDefinition): Promise<{ version: string; generation: number; rows: ViewRows }> {
  const paths = lakePaths(lakeDir);
  const current = await readCurrentVersion(paths);
  if (!current) throw new Error('no published batch version');
  const duckdb = await openDuckDB({ threads: 1 });
  try {
    const rows = new ViewRows(view.dimensions.length);
    for (const record of await duckdb.rows(`SELECT * FROM read_parquet(${quoteLiteral(join(paths.version(current.version), `${view.name}.parquet`))})`)) {
      const row = decodeStatesRow(view, record);
      expect(rows.get(row.bucket, row.dims), `${view.name}: one row per (bucket, group)`).toBeUndefined();
      rows.set(row);
    }
    return { version: current.version, generation: current.generation, rows };
  } finally {
    duckdb.close();
  }
}

const keyOf = (row: ViewRow): string => JSON.stringify([row.bucket, ...row.dims]);

/** Exact comparison of states: integers and min/max exactly, sums to 1e-9 relative, HLL registers bit for bit. */
export function expectSameStates(view: ViewDefinition, actual: ViewRows, expected: ViewRows): void {
  expect([...actual].map(keyOf).sort(), `${view.name}: the same (bucket, group) rows`).toEqual([...expected].map(keyOf).sort());
  for (const want of expected) {
    const got = actual.get(want.bucket, want.dims) as ViewRow;
    view.metrics.forEach((metric, j) => {
      const a = got.states[j] as MetricState;
      const e = want.states[j] as MetricState;
      const where = `${view.name} ${keyOf(want)} ${metric.name}`;
      switch (metric.kind) {
        case 'count':
        case 'min':
        case 'max':
          expect(a, where).toBe(e === 0 ? 0 : e);
          break;
        case 'sum':
          if (e === null) expect(a, where).toBeNull();
          else expect(Math.abs((a as number) - (e as number)), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e as number)));
          break;
        case 'avg': {
          const got = a as { sum: number; count: number };
          const exp = e as { sum: number; count: number };
          expect(got.count, where).toBe(exp.count);
          expect(Math.abs(got.sum - exp.sum), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(exp.sum)));
          break;
        }
        case 'distinct':
          expect((a as HyperLogLog).toPacked(), where).toEqual((e as HyperLogLog).toPacked());
          break;
      }
    });
  }
}
