import { formatBucket, rollupBucket } from '../buckets/granularity';
import type { ViewDefinition } from '../views/view';
import { finalizeRow } from './finalize-row';
import { cloneRow, mergeRowInto } from './merge-rows';
import type { ViewQuery } from './view-query';
import { type DimensionValue, type ViewRow, ViewRows } from './view-row';

/** A row of a query answer, as CONTRACT.md §4 shows it. */
export interface QueryResultRow {
  readonly bucket: string;
  readonly dims: Readonly<Record<string, DimensionValue>>;
  readonly metrics: Readonly<Record<string, number | null>>;
}

/**
 * Keeps the view rows (view granularity, all dimensions) inside the query's range and filters, and
 * merges them per (query bucket, groupBy values) into `into` — not finalized, so batch and speed halves
 * (and cached parts) can still be merged. The result rows' dims follow `query.groupBy`. Input rows are
 * not changed. Feed every half into the same `into`.
 */
export function rollupRows(
  view: ViewDefinition,
  query: ViewQuery,
  rows: Iterable<ViewRow>,
  into: ViewRows = new ViewRows(query.groupBy.length),
): ViewRows {
  const groupIndexes = query.groupBy.map((d) => view.dimensions.indexOf(d));
  const filters = [...query.filters].map(([d, values]) => [view.dimensions.indexOf(d), values] as const);
  for (const row of rows) {
    if (row.bucket < query.from || row.bucket >= query.to) continue;
    if (!filters.every(([i, values]) => values.has(row.dims[i] ?? null))) continue;
    const bucket = rollupBucket(row.bucket, query.granularity, query.from);
    const dims = groupIndexes.map((i) => row.dims[i] ?? null);
    const existing = into.get(bucket, dims);
    if (existing === undefined) into.set({ ...cloneRow(view, row), bucket, dims });
    else mergeRowInto(view, existing, row);
  }
  return into;
}

/** Finalizes rolled-up rows and sorts them by bucket, then by dims (see `compareDimensionValues`). */
export function finalizeQueryRows(view: ViewDefinition, query: ViewQuery, rolled: ViewRows): QueryResultRow[] {
  const rows = [...rolled.values()].sort(compareRows);
  return rows.map((row) => {
    const { dims, metrics } = finalizeRow(view, row, query.groupBy);
    return { bucket: formatBucket(row.bucket), dims, metrics };
  });
}

/** `finalizeQueryRows(view, query, rollupRows(view, query, rows))`. */
export function queryRows(view: ViewDefinition, query: ViewQuery, rows: Iterable<ViewRow>): QueryResultRow[] {
  return finalizeQueryRows(view, query, rollupRows(view, query, rows));
}

function compareRows(a: ViewRow, b: ViewRow): number {
  if (a.bucket !== b.bucket) return a.bucket < b.bucket ? -1 : 1;
  for (let i = 0; i < a.dims.length; i++) {
    const c = compareDimensionValues(a.dims[i] ?? null, b.dims[i] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Order of dimension values: by Unicode code point (= byte order of UTF-8, as DuckDB's ORDER BY on
 * VARCHAR), null last (as DuckDB's default NULLS LAST).
 */
export function compareDimensionValues(a: DimensionValue, b: DimensionValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (U+D800..DFFF, part of a code point ≥ U+10000) sorts after every BMP unit ≥ U+E000.
    const xs = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const ys = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return xs < ys ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
