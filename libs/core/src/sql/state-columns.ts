import type { MetricKind, ViewDefinition } from '../views/view';
import { metricOps } from '../metrics/metric-kinds';
import type { EncodedState } from '../metrics/metric-state';
import { StateError } from '../errors';
import type { DimensionValue, ViewRow } from '../merge/view-row';

/**
 * The columns of a view's states table (what `viewStatesSql` returns and batch versions store):
 *   bucket    BIGINT    bucket start, epoch ms, at the view's granularity
 *   d0 … dN   VARCHAR   the dimensions, in the view's order (positional because attribute names may
 *                       be any text, and DuckDB identifiers are case-insensitive)
 *   m_<name>  per metric, holding its EncodedState: count BIGINT, sum/min/max DOUBLE,
 *             avg DOUBLE[] ([sum, count]), distinct INTEGER[] (index*64+rank; see EncodedState)
 * Dimension columns are positional: record `viewFingerprint(view)` with stored states.
 */
export interface StateColumns {
  readonly bucket: 'bucket';
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
}

export const STATE_SQL_TYPES: Readonly<Record<MetricKind, string>> = {
  count: 'BIGINT',
  sum: 'DOUBLE',
  min: 'DOUBLE',
  max: 'DOUBLE',
  avg: 'DOUBLE[]',
  distinct: 'INTEGER[]',
};

export function stateColumns(view: ViewDefinition): StateColumns {
  return {
    bucket: 'bucket',
    dimensions: view.dimensions.map((_, i) => `d${i}`),
    metrics: view.metrics.map((m) => `m_${m.name}`),
  };
}

/** `bucket BIGINT, d0 VARCHAR, …, m_<name> <type>, …` for a CREATE TABLE. */
export function stateColumnsSql(view: ViewDefinition): string {
  const cols = stateColumns(view);
  return [
    'bucket BIGINT',
    ...cols.dimensions.map((d) => `${d} VARCHAR`),
    ...view.metrics.map((m, j) => `${cols.metrics[j] as string} ${STATE_SQL_TYPES[m.kind]}`),
  ].join(', ');
}

export type StatesRecord = Record<string, number | DimensionValue | EncodedState>;

/** A row as the states table holds it (JSON-able). */
export function encodeStatesRow(view: ViewDefinition, row: ViewRow): StatesRecord {
  const cols = stateColumns(view);
  const out: StatesRecord = { bucket: row.bucket };
  cols.dimensions.forEach((c, i) => {
    out[c] = row.dims[i] ?? null;
  });
  view.metrics.forEach((m, j) => {
    out[cols.metrics[j] as string] = metricOps[m.kind].encode(row.states[j] ?? null);
  });
  return out;
}

/**
 * Reads a states-table row as DuckDB's `getRowObjectsJS()` returns it (BIGINT as bigint, lists as
 * arrays) or as `encodeStatesRow` wrote it. Throws StateError on a malformed row.
 */
export function decodeStatesRow(view: ViewDefinition, record: Readonly<Record<string, unknown>>): ViewRow {
  const cols = stateColumns(view);
  const rawBucket = record['bucket'];
  const bucket = typeof rawBucket === 'bigint' ? Number(rawBucket) : rawBucket;
  if (typeof bucket !== 'number' || !Number.isSafeInteger(bucket)) throw new StateError(`bucket must be epoch ms (got ${String(rawBucket)})`);
  const dims = cols.dimensions.map((c) => {
    const v = record[c];
    if (v === null || v === undefined || typeof v === 'string') return v ?? null;
    throw new StateError(`${c} must be a string or null (got ${typeof v})`);
  });
  const states = view.metrics.map((m, j) => {
    const column = cols.metrics[j] as string;
    if (!(column in record)) throw new StateError(`column ${column} (metric "${m.name}") is missing`);
    try {
      return metricOps[m.kind].decode(record[column]);
    } catch (error) {
      throw new StateError(`metric "${m.name}" (${column}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  });
  return { bucket, dims, states };
}
