import { ViewRows, type ViewAggregator, type ViewDefinition } from '@tributary/core';
import type { ReceivedEvent } from './decode-batch';

export interface AggregatedBatch {
  views: Array<{ view: ViewDefinition; rows: ViewRows }>;
  ids: Array<{ id: string; receivedAt: number }>;
  /** Events dropped as copies of an id earlier in the batch or in `exclude`. */
  duplicates: number;
}

/**
 * Pre-aggregates one batch for every view: each id counts once (its first copy in the batch), and
 * ids in `exclude` (already counted, as the store said) not at all.
 */
export function aggregateBatch(
  aggregators: readonly ViewAggregator[],
  events: readonly ReceivedEvent[],
  exclude: ReadonlySet<string> = new Set(),
): AggregatedBatch {
  const seen = new Set<string>();
  const ids: AggregatedBatch['ids'] = [];
  const rows = aggregators.map((a) => new ViewRows(a.view.dimensions.length));
  let duplicates = 0;
  for (const { event, receivedAt } of events) {
    if (seen.has(event.id) || exclude.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    ids.push({ id: event.id, receivedAt });
    for (let i = 0; i < aggregators.length; i++) (aggregators[i] as ViewAggregator).add(rows[i] as ViewRows, event);
  }
  return {
    views: aggregators.map((a, i) => ({ view: a.view, rows: rows[i] as ViewRows })).filter((v) => v.rows.size > 0),
    ids,
    duplicates,
  };
}
