/**
 * The oracle: what a plain SQL aggregate computes over the valid events, distinct by id — written as
 * plain TypeScript straight from CONTRACT.md §1, §2 and §4, sharing no code with the layers (only
 * the view definitions). `distinct` is exact here; the comparison allows the HyperLogLog error.
 */
import type { ViewDefinition } from '@tributary/core';
import type { Attr, ValidEvent } from './workload';

export type QueryGranularity = 'minute' | 'hour' | 'day' | 'all';

export interface QuerySpec {
  readonly view: string;
  readonly from: number;
  readonly to: number;
  readonly granularity: QueryGranularity;
  readonly groupBy: readonly string[];
  /** `[dim, value]` pairs; `null` asks for the null group (`dim:`). */
  readonly filters: ReadonlyArray<readonly [string, string | null]>;
}

export interface AnswerRow {
  bucket: string;
  dims: Record<string, Attr>;
  metrics: Record<string, number | null>;
}

const STEP: Record<Exclude<QueryGranularity, 'all'>, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The query string of `GET /v1/views/:name/query` for a spec. */
export function queryString(spec: QuerySpec): string {
  const params = new URLSearchParams({ from: new Date(spec.from).toISOString(), to: new Date(spec.to).toISOString(), granularity: spec.granularity });
  if (spec.groupBy.length > 0) params.set('groupBy', spec.groupBy.join(','));
  for (const [dim, value] of spec.filters) params.append('filter', `${dim}:${value ?? ''}`);
  return params.toString();
}

/** Distinct by id: the first copy of each id (copies carry the same content). */
export function distinctById(events: Iterable<ValidEvent>): ValidEvent[] {
  const seen = new Map<string, ValidEvent>();
  for (const event of events) if (!seen.has(event.id)) seen.set(event.id, event);
  return [...seen.values()];
}

interface Accumulator {
  bucket: number;
  dims: Record<string, Attr>;
  count: number;
  sums: Map<string, { sum: number; n: number; min: number; max: number }>;
  distinct: Map<string, Set<string>>;
}

/** The rows a query must answer, in the contract's order (bucket, then dims). */
export function expectedRows(view: ViewDefinition, events: readonly ValidEvent[], spec: QuerySpec): AnswerRow[] {
  const types = new Set(view.eventTypes);
  const filters = new Map<string, Set<string | null>>();
  for (const [dim, value] of spec.filters) filters.set(dim, (filters.get(dim) ?? new Set()).add(value));
  const fields = (distinct: boolean) => [...new Set(view.metrics.filter((m) => m.field !== undefined && (m.kind === 'distinct') === distinct && m.kind !== 'count').map((m) => m.field as string))];
  const distinctFields = fields(true);
  const numericFields = fields(false);
  const groups = new Map<string, Accumulator>();
  for (const event of events) {
    if (!types.has(event.type) || event.ts < spec.from || event.ts >= spec.to) continue;
    const dim = (name: string): Attr => event.attrs[name] ?? null;
    let selected = true;
    for (const [name, values] of filters) {
      const v = dim(name);
      if (!values.has(v === null ? null : String(v))) selected = false;
    }
    if (!selected) continue;
    const bucket = spec.granularity === 'all' ? spec.from : Math.floor(event.ts / STEP[spec.granularity]) * STEP[spec.granularity];
    const dims: Record<string, Attr> = {};
    for (const name of spec.groupBy) dims[name] = dim(name);
    const key = JSON.stringify([bucket, ...spec.groupBy.map((d) => dims[d])]);
    let acc = groups.get(key);
    if (!acc) groups.set(key, (acc = { bucket, dims, count: 0, sums: new Map(), distinct: new Map() }));
    acc.count++;
    for (const field of distinctFields) {
      const value = event.attrs[field] ?? null;
      if (value !== null) acc.distinct.set(field, (acc.distinct.get(field) ?? new Set<string>()).add(String(value)));
    }
    for (const field of numericFields) {
      const value = event.attrs[field] ?? null;
      if (typeof value !== 'number') continue;
      const s = acc.sums.get(field) ?? { sum: 0, n: 0, min: Infinity, max: -Infinity };
      s.sum += value;
      s.n++;
      s.min = Math.min(s.min, value);
      s.max = Math.max(s.max, value);
      acc.sums.set(field, s);
    }
  }
  const rows = [...groups.values()].map((acc) => {
    const metrics: Record<string, number | null> = {};
    for (const metric of view.metrics) {
      const s = metric.field === undefined ? undefined : acc.sums.get(metric.field);
      switch (metric.kind) {
        case 'count':
          metrics[metric.name] = acc.count;
          break;
        case 'sum':
          metrics[metric.name] = s ? s.sum : null;
          break;
        case 'min':
          metrics[metric.name] = s ? s.min : null;
          break;
        case 'max':
          metrics[metric.name] = s ? s.max : null;
          break;
        case 'avg':
          metrics[metric.name] = s ? s.sum / s.n : null;
          break;
        case 'distinct':
          metrics[metric.name] = acc.distinct.get(metric.field as string)?.size ?? 0;
          break;
      }
    }
    return { bucket: new Date(acc.bucket).toISOString(), dims: acc.dims, metrics };
  });
  return rows.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
}

/** Allowed HyperLogLog error for an exact distinct count (p = 14: ~0.8% standard error; 4σ, at least 2). */
export const distinctTolerance = (exact: number): number => Math.max(2, Math.ceil(0.033 * exact));

const rowKey = (row: { bucket: string; dims: Record<string, unknown> }, groupBy: readonly string[]) => JSON.stringify([row.bucket, ...groupBy.map((d) => row.dims[d] ?? null)]);

/**
 * Differences between an answer and the oracle's rows, as readable lines (empty when equal):
 * counts exactly, sums/min/max/avg to 1e-9 relative, distinct within `distinctTolerance`.
 */
export function compareRows(view: ViewDefinition, spec: QuerySpec, actual: readonly AnswerRow[], expected: readonly AnswerRow[]): string[] {
  const problems: string[] = [];
  const want = new Map(expected.map((r) => [rowKey(r, spec.groupBy), r]));
  const got = new Map<string, AnswerRow>();
  let previous = '';
  for (const row of actual) {
    const key = rowKey(row, spec.groupBy);
    if (got.has(key)) problems.push(`row ${key} answered twice`);
    got.set(key, row);
    if (row.bucket < previous) problems.push(`rows not sorted by bucket: ${row.bucket} after ${previous}`);
    previous = row.bucket;
    const extra = Object.keys(row.dims).filter((d) => !spec.groupBy.includes(d));
    if (extra.length > 0) problems.push(`row ${key} has dims outside groupBy: ${extra.join(',')}`);
  }
  for (const [key, row] of want) {
    const answer = got.get(key);
    if (!answer) {
      problems.push(`missing row ${key} (expected ${JSON.stringify(row.metrics)})`);
      continue;
    }
    for (const metric of view.metrics) {
      const e = row.metrics[metric.name] ?? null;
      const a = answer.metrics[metric.name] ?? null;
      const where = `row ${key} ${metric.name}`;
      if (e === null || a === null) {
        if (e !== a) problems.push(`${where}: ${a} instead of ${e}`);
      } else if (metric.kind === 'count') {
        if (a !== e) problems.push(`${where}: ${a} instead of ${e}`);
      } else if (metric.kind === 'distinct') {
        if (!Number.isInteger(a) || Math.abs(a - e) > distinctTolerance(e)) problems.push(`${where}: ${a} instead of ~${e}`);
      } else if (Math.abs(a - e) > 1e-9 * Math.max(1, Math.abs(e))) {
        problems.push(`${where}: ${a} instead of ${e}`);
      }
    }
  }
  for (const [key, row] of got) if (!want.has(key)) problems.push(`unexpected row ${key} ${JSON.stringify(row.metrics)}`);
  return problems;
}

/**
 * The queries every scenario checks, per view: each granularity the view allows, no groupBy / the
 * first dimension / all dimensions, and filters (a value, two values of one dimension, the null
 * group, two dimensions at once), over a range that covers every event of the workload.
 */
export function standardQueries(views: readonly ViewDefinition[], range: { from: number; to: number }): QuerySpec[] {
  const order: QueryGranularity[] = ['minute', 'hour', 'day', 'all'];
  const specs: QuerySpec[] = [];
  for (const view of views) {
    const granularities = order.slice(order.indexOf(view.granularity));
    const [d0, d1] = view.dimensions;
    const groupings: string[][] = [[], ...(d0 ? [[d0]] : []), ...(view.dimensions.length > 1 ? [[...view.dimensions]] : [])];
    for (const granularity of granularities) for (const groupBy of groupings) specs.push({ view: view.name, ...range, granularity, groupBy, filters: [] });
    if (d0) {
      const sample: Record<string, [string, string]> = { country: ['DE', 'US'], method: ['card', 'sepa'], page: ['/docs', '/ünï/路径'], device: ['mobile', 'desktop'], plan: ['pro', 'free'] };
      const [v0, v1] = sample[d0] ?? ['x', 'y'];
      const coarse = granularities.includes('hour') ? 'hour' : view.granularity;
      specs.push({ view: view.name, ...range, granularity: coarse, groupBy: [d0], filters: [[d0, v0]] });
      specs.push({ view: view.name, ...range, granularity: 'all', groupBy: [...view.dimensions], filters: [[d0, v0], [d0, v1]] });
      specs.push({ view: view.name, ...range, granularity: view.granularity, groupBy: [], filters: [[d0, null]] });
      if (d1) specs.push({ view: view.name, ...range, granularity: 'all', groupBy: [d0], filters: [[d0, null], [d0, v0], [d1, (sample[d1] ?? ['card'])[0] as string]] });
    }
  }
  return specs;
}
