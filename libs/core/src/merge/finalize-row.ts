import { setOwn } from '../own';
import { metricOps } from '../metrics/metric-kinds';
import type { MetricState } from '../metrics/metric-state';
import type { ViewDefinition } from '../views/view';
import type { DimensionValue, ViewRow } from './view-row';

export interface FinalizedRow {
  readonly bucket: number;
  readonly dims: Readonly<Record<string, DimensionValue>>;
  readonly metrics: Readonly<Record<string, number | null>>;
}

/**
 * A row's answers: `dims` named by `dimensions` (the view's by default; a query's groupBy after a
 * rollup), `metrics` by the view's metric names.
 */
export function finalizeRow(view: ViewDefinition, row: ViewRow, dimensions: readonly string[] = view.dimensions): FinalizedRow {
  const dims: Record<string, DimensionValue> = {};
  dimensions.forEach((name, i) => {
    setOwn(dims, name, row.dims[i] ?? null);
  });
  const metrics: Record<string, number | null> = {};
  view.metrics.forEach((m, j) => {
    metrics[m.name] = metricOps[m.kind].finalize(row.states[j] as MetricState);
  });
  return { bucket: row.bucket, dims, metrics };
}
