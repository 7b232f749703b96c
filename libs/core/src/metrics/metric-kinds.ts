import { StateError } from '../errors';
import { attributeText } from '../events/event';
import { HyperLogLog } from '../sketches/hll';
import type { MetricKind } from '../views/view';
import type { AttributeValue } from '../events/event';
import type { AvgState, EncodedState, MetricOps, MetricState } from './metric-state';

const identity = (s: MetricState): MetricState => s;

const count: MetricOps = {
  initialize: () => 0,
  aggregate: (s) => (s as number) + 1,
  merge: (a, b) => (a as number) + (b as number),
  mergeInto: (a, b) => (a as number) + (b as number),
  clone: identity,
  finalize: (s) => s as number,
  encode: (s) => s as number,
  decode: (e) => decodeCount(e, 'count'),
};

function nullableNumberOps(combine: (a: number, b: number) => number): MetricOps {
  const merge = (a: MetricState, b: MetricState): MetricState =>
    a === null ? b : b === null ? a : combine(a as number, b as number);
  return {
    initialize: () => null,
    aggregate: (s, v) => (typeof v !== 'number' ? s : s === null ? v : combine(s as number, v)),
    merge,
    mergeInto: merge,
    clone: identity,
    finalize: (s) => s as number | null,
    encode: (s) => s as number | null,
    decode: (e) => {
      if (e === null) return null;
      if (typeof e !== 'number' || Number.isNaN(e)) throw new StateError(`a sum/min/max state must be a number or null (got ${show(e)})`);
      return e;
    },
  };
}

const avg: MetricOps = {
  initialize: () => ({ sum: 0, count: 0 }),
  aggregate: (s, v) => {
    if (typeof v === 'number') {
      (s as AvgState).sum += v;
      (s as AvgState).count++;
    }
    return s;
  },
  merge: (a, b) => ({ sum: (a as AvgState).sum + (b as AvgState).sum, count: (a as AvgState).count + (b as AvgState).count }),
  mergeInto: (a, b) => {
    (a as AvgState).sum += (b as AvgState).sum;
    (a as AvgState).count += (b as AvgState).count;
    return a;
  },
  clone: (s) => ({ sum: (s as AvgState).sum, count: (s as AvgState).count }),
  finalize: (s) => ((s as AvgState).count === 0 ? null : (s as AvgState).sum / (s as AvgState).count),
  encode: (s) => [(s as AvgState).sum, (s as AvgState).count],
  decode: (e) => {
    if (!Array.isArray(e) || e.length !== 2) throw new StateError(`an avg state must be [sum, count] (got ${show(e)})`);
    const sum: unknown = e[0];
    if (typeof sum !== 'number' || Number.isNaN(sum)) throw new StateError(`an avg state's sum must be a number (got ${show(sum)})`);
    return { sum, count: decodeCount(e[1], 'avg count') };
  },
};

const distinct: MetricOps = {
  initialize: () => new HyperLogLog(),
  aggregate: (s, v) => {
    const text = attributeText(v);
    if (text !== null) (s as HyperLogLog).add(text);
    return s;
  },
  merge: (a, b) => (a as HyperLogLog).clone().mergeFrom(b as HyperLogLog),
  mergeInto: (a, b) => (a as HyperLogLog).mergeFrom(b as HyperLogLog),
  clone: (s) => (s as HyperLogLog).clone(),
  finalize: (s) => Math.round((s as HyperLogLog).estimate()),
  encode: (s) => (s as HyperLogLog).toPacked(),
  decode: (e) => {
    if (!Array.isArray(e)) throw new StateError(`a distinct state must be a list of index*64+rank (got ${show(e)})`);
    return HyperLogLog.fromPacked(e);
  },
};

/** The algebra of every metric kind. */
export const metricOps: Readonly<Record<MetricKind, MetricOps>> = {
  count,
  sum: nullableNumberOps((a, b) => a + b),
  min: nullableNumberOps((a, b) => (b < a ? b : a)),
  max: nullableNumberOps((a, b) => (b > a ? b : a)),
  avg,
  distinct,
};

export const initializeState = (kind: MetricKind): MetricState => metricOps[kind].initialize();
export const aggregateState = (kind: MetricKind, state: MetricState, value: AttributeValue | undefined): MetricState =>
  metricOps[kind].aggregate(state, value);
export const mergeStates = (kind: MetricKind, a: MetricState, b: MetricState): MetricState => metricOps[kind].merge(a, b);
export const finalizeState = (kind: MetricKind, state: MetricState): number | null => metricOps[kind].finalize(state);
export const encodeState = (kind: MetricKind, state: MetricState): EncodedState => metricOps[kind].encode(state);
export const decodeState = (kind: MetricKind, encoded: unknown): MetricState => metricOps[kind].decode(encoded);

function decodeCount(e: unknown, what: string): number {
  const n = typeof e === 'bigint' ? Number(e) : e;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new StateError(`a ${what} must be a non-negative integer (got ${show(e)})`);
  return n;
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
