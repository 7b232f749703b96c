import { floorBucket } from '../buckets/granularity';
import type { NormalizedEvent } from '../events/event';
import { metricOps } from '../metrics/metric-kinds';
import type { AvgState, MetricOps, MetricState } from '../metrics/metric-state';
import type { HyperLogLog } from '../sketches/hll';
import type { ViewDefinition } from '../views/view';
import { type DimensionValue, ViewRows } from './view-row';

export interface ViewAggregator {
  readonly view: ViewDefinition;
  /** Folds one event into `rows` (events of other types are ignored). Does not deduplicate ids. */
  add(rows: ViewRows, event: NormalizedEvent): void;
  /** Folds many events into `rows` (a new set by default) and returns it. */
  aggregate(events: Iterable<NormalizedEvent>, rows?: ViewRows): ViewRows;
}

const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
const AVG = 4;
const DISTINCT = 5;
const KIND_CODE = { count: COUNT, sum: SUM, min: MIN, max: MAX, avg: AVG, distinct: DISTINCT } as const;

/**
 * The pre-aggregation every layer uses: events → states per (bucket at the view's granularity, group).
 *
 * This is the hot loop of the speed layer, so it is compiled once per view and specialized: a switch
 * on the metric kind instead of calls through `metricOps` (a megamorphic call per metric per event),
 * attribute texts computed inline, rows found through ViewRows' Map tree without allocating. It computes
 * exactly `metricOps[kind].aggregate` and `attributeText`; aggregate-events.spec.ts checks that on
 * random events.
 */
export function createViewAggregator(view: ViewDefinition): ViewAggregator {
  const types = new Set(view.eventTypes);
  const dimensions = view.dimensions.slice();
  const dimCount = dimensions.length;
  const texts: DimensionValue[] = new Array<DimensionValue>(dimCount).fill(null);
  const kinds: number[] = view.metrics.map((m) => KIND_CODE[m.kind]);
  const fields: string[] = view.metrics.map((m) => m.field ?? '');
  const ops: MetricOps[] = view.metrics.map((m) => metricOps[m.kind]);
  const metricCount = kinds.length;
  const granularity = view.granularity;
  const initialize = (): MetricState[] => ops.map((o) => o.initialize());

  function add(rows: ViewRows, event: NormalizedEvent): void {
    if (!types.has(event.type)) return;
    const attrs = event.attrs;
    const bucket = floorBucket(event.ts, granularity);
    for (let i = 0; i < dimCount; i++) {
      const raw = attrs[dimensions[i] as string];
      texts[i] = raw === null || raw === undefined ? null : typeof raw === 'string' ? raw : String(raw);
    }
    const row = rows.upsert(bucket, texts, initialize);
    const states = row.states;
    for (let j = 0; j < metricCount; j++) {
      const kind = kinds[j];
      if (kind === COUNT) {
        states[j] = (states[j] as number) + 1;
        continue;
      }
      const value = attrs[fields[j] as string];
      if (kind === DISTINCT) {
        if (value !== null && value !== undefined) (states[j] as HyperLogLog).add(typeof value === 'string' ? value : String(value));
        continue;
      }
      if (typeof value !== 'number') continue;
      const s = states[j] as number | null | AvgState;
      if (kind === SUM) states[j] = s === null ? value : (s as number) + value;
      else if (kind === MIN) states[j] = s === null || value < (s as number) ? value : s;
      else if (kind === MAX) states[j] = s === null || value > (s as number) ? value : s;
      else {
        (s as AvgState).sum += value;
        (s as AvgState).count++;
      }
    }
  }

  return {
    view,
    add,
    aggregate(events, rows = new ViewRows(dimCount)) {
      for (const event of events) add(rows, event);
      return rows;
    },
  };
}

/** `createViewAggregator(view).aggregate(events, rows)`. */
export function aggregateEvents(view: ViewDefinition, events: Iterable<NormalizedEvent>, rows?: ViewRows): ViewRows {
  return createViewAggregator(view).aggregate(events, rows);
}
