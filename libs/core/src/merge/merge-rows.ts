import { metricOps } from '../metrics/metric-kinds';
import type { MetricState } from '../metrics/metric-state';
import type { ViewDefinition } from '../views/view';
import { type ViewRow, ViewRows } from './view-row';

/** A copy of a row whose states can be changed without touching the original. */
export function cloneRow(view: ViewDefinition, row: ViewRow): ViewRow {
  return { bucket: row.bucket, dims: row.dims.slice(), states: view.metrics.map((m, j) => metricOps[m.kind].clone(row.states[j] as MetricState)) };
}

/** Merges `source`'s states into `target`'s (same bucket and group), reusing `target`'s states. */
export function mergeRowInto(view: ViewDefinition, target: ViewRow, source: ViewRow): ViewRow {
  const states = target.states;
  view.metrics.forEach((m, j) => {
    states[j] = metricOps[m.kind].mergeInto(states[j] as MetricState, source.states[j] as MetricState);
  });
  return target;
}

/**
 * Merges every row of `source` (a ViewRows or any rows, e.g. decoded from storage) into `target`,
 * which it changes and returns; `source` and its rows are left untouched (rows new to `target` are
 * copied).
 */
export function mergeRowsInto(view: ViewDefinition, target: ViewRows, source: Iterable<ViewRow>): ViewRows {
  for (const row of source) {
    const existing = target.get(row.bucket, row.dims);
    if (existing === undefined) target.set(cloneRow(view, row));
    else mergeRowInto(view, existing, row);
  }
  return target;
}

/** Pure merge of two row sets: `a ⊕ b` as a new set; neither input changes. */
export function mergeRows(view: ViewDefinition, a: ViewRows, b: ViewRows): ViewRows {
  return mergeRowsInto(view, mergeRowsInto(view, new ViewRows(a.dimensionCount), a), b);
}
