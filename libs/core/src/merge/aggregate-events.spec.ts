import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AttributeValue, attributeText, type NormalizedEvent } from '../events/event';
import { floorBucket } from '../buckets/granularity';
import { metricOps } from '../metrics/metric-kinds';
import { encodeStatesRow } from '../sql/state-columns';
import { parseViews } from '../views/parse-views';
import type { ViewDefinition } from '../views/view';
import { aggregateEvents, createViewAggregator } from './aggregate-events';
import { finalizeRow } from './finalize-row';
import { mergeRows, mergeRowsInto } from './merge-rows';
import { type ViewRow, ViewRows } from './view-row';

const [payments, totals] = parseViews(
  `views:
  - name: payments
    eventTypes: [payment, refund]
    granularity: minute
    dimensions: [country, method]
    metrics:
      - { name: n, kind: count }
      - { name: revenue, kind: sum, field: amount }
      - { name: smallest, kind: min, field: amount }
      - { name: largest, kind: max, field: amount }
      - { name: average, kind: avg, field: amount }
      - { name: buyers, kind: distinct, field: user }
  - name: totals
    eventTypes: [payment]
    granularity: hour
    metrics: [{ name: n, kind: count }, { name: users, kind: distinct, field: user }]
`,
  'test.yaml',
) as [ViewDefinition, ViewDefinition];

const T = Date.UTC(2026, 10, 23, 10, 0, 0);
const ev = (id: string, ts: number, attrs: Record<string, AttributeValue>, type = 'payment'): NormalizedEvent => ({ id, type, ts, attrs });

/** Rows in their serialized form, sorted: equal rows ⇔ equal text. */
const snapshot = (view: ViewDefinition, rows: ViewRows): string =>
  JSON.stringify([...rows].map((row) => JSON.stringify(encodeStatesRow(view, row))).sort());

describe('aggregateEvents', () => {
  it('groups by bucket and dimension texts: null, "null" and "" are three groups; 1 and "1" one', () => {
    const rows = aggregateEvents(payments, [
      ev('1', T + 1_000, { country: 'DE', method: 'card', amount: 10, user: 'u1' }),
      ev('2', T + 59_999, { country: 'DE', method: 'card', amount: 2.5, user: 'u2' }),
      ev('3', T + 60_000, { country: 'DE', method: 'card', amount: null, user: 'u1' }),
      ev('4', T, { country: null, method: 1 }),
      ev('5', T, { method: '1' }),
      ev('6', T, { country: 'null', method: true, user: 1 }),
      ev('7', T, { country: '', method: 'true', user: '1' }, 'refund'),
      ev('8', T, { country: 'DE', method: 'card', amount: 1000 }, 'click'),
    ]);
    const finals = [...rows.values()].map((r) => finalizeRow(payments, r));
    const sorted = (list: object[]) => list.map((x) => JSON.stringify(x)).sort();
    expect(sorted(finals)).toEqual(sorted([
      { bucket: T, dims: { country: 'DE', method: 'card' }, metrics: { n: 2, revenue: 12.5, smallest: 2.5, largest: 10, average: 6.25, buyers: 2 } },
      { bucket: T + 60_000, dims: { country: 'DE', method: 'card' }, metrics: { n: 1, revenue: null, smallest: null, largest: null, average: null, buyers: 1 } },
      { bucket: T, dims: { country: null, method: '1' }, metrics: { n: 2, revenue: null, smallest: null, largest: null, average: null, buyers: 0 } },
      { bucket: T, dims: { country: 'null', method: 'true' }, metrics: { n: 1, revenue: null, smallest: null, largest: null, average: null, buyers: 1 } },
      { bucket: T, dims: { country: '', method: 'true' }, metrics: { n: 1, revenue: null, smallest: null, largest: null, average: null, buyers: 1 } },
    ]));
    expect(rows.get(T, [null, '1'])?.states[0]).toBe(2);
    expect(rows.get(T, ['nope', '1'])).toBeUndefined();
    expect(rows.size).toBe(5);
  });

  it('adds to existing rows and works without dimensions', () => {
    const aggregator = createViewAggregator(totals);
    const rows = aggregator.aggregate([ev('1', T, { user: 'a' }), ev('2', T + 3_599_999, { user: 'b' })]);
    aggregator.add(rows, ev('3', T + 3_600_000, { user: 'a' }));
    aggregator.aggregate([ev('4', T + 10, { user: 'a' })], rows);
    expect([...rows.values()].map((r) => finalizeRow(totals, r))).toEqual([
      { bucket: T, dims: {}, metrics: { n: 3, users: 2 } },
      { bucket: T + 3_600_000, dims: {}, metrics: { n: 1, users: 1 } },
    ]);
  });

  it('keeps a dimension named __proto__ as a key in finalized rows', () => {
    const [view] = parseViews('views: [{ name: v, eventTypes: [t], granularity: day, dimensions: [__proto__], metrics: [{ name: n, kind: count }] }]', 'x.yaml') as [ViewDefinition];
    const attrs: Record<string, AttributeValue> = {};
    Object.defineProperty(attrs, '__proto__', { value: 'p', enumerable: true });
    const [row] = [...aggregateEvents(view, [{ id: 'a', type: 't', ts: 0, attrs }]).values()];
    expect(Object.keys(finalizeRow(view, row as ViewRow).dims)).toEqual(['__proto__']);
  });
});

const eventArb: fc.Arbitrary<NormalizedEvent> = fc.record({
  id: fc.string({ maxLength: 4 }),
  type: fc.constantFrom('payment', 'refund', 'click'),
  ts: fc.integer({ min: T - 7_200_000, max: T + 7_200_000 }),
  attrs: fc.record(
    {
      country: fc.constantFrom<AttributeValue>('DE', 'FR', null, 'null', '', 1, '1'),
      method: fc.constantFrom<AttributeValue>('card', 'a|b', '|1:', true),
      amount: fc.oneof(fc.constant(null), fc.integer({ min: -10_000, max: 10_000 }).map((n) => n / 4)),
      user: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 30 }), fc.string({ maxLength: 2 })),
    },
    { requiredKeys: [] },
  ),
});
const eventsArb = fc.array(eventArb, { maxLength: 80 });

/** The definition, spelled out with metricOps and attributeText: what the specialized loop must equal. */
function reference(view: ViewDefinition, events: readonly NormalizedEvent[]): ViewRows {
  const rows = new ViewRows(view.dimensions.length);
  for (const e of events) {
    if (!view.eventTypes.includes(e.type)) continue;
    const dims = view.dimensions.map((d) => attributeText(e.attrs[d]));
    const row = rows.upsert(floorBucket(e.ts, view.granularity), dims, () => view.metrics.map((m) => metricOps[m.kind].initialize()));
    view.metrics.forEach((m, j) => {
      row.states[j] = metricOps[m.kind].aggregate(row.states[j] ?? null, m.field === undefined ? undefined : e.attrs[m.field]);
    });
  }
  return rows;
}

describe('row algebra (fast-check)', () => {
  it('the specialized aggregator computes exactly metricOps.aggregate per row', () => {
    fc.assert(
      fc.property(eventsArb, fc.constantFrom(payments, totals), (events, view) => {
        expect(snapshot(view, aggregateEvents(view, events))).toBe(snapshot(view, reference(view, events)));
      }),
      { numRuns: 300 },
    );
  });

  it('aggregating any split of the events and merging equals aggregating them all', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(payments, totals), (events, cuts, view) => {
        const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
        const parts = [...points, events.length].map((end, i) => events.slice(i === 0 ? 0 : points[i - 1], end));
        const merged = parts.map((p) => aggregateEvents(view, p)).reduce((a, b) => mergeRows(view, a, b), new ViewRows(view.dimensions.length));
        expect(snapshot(view, merged)).toBe(snapshot(view, aggregateEvents(view, events)));
      }),
      { numRuns: 300 },
    );
  });

  it('mergeRows is commutative and associative with the empty set as identity, and pure', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, eventsArb, (xs, ys, zs) => {
        const [a, b, c] = [xs, ys, zs].map((e) => aggregateEvents(payments, e)) as [ViewRows, ViewRows, ViewRows];
        const before = [a, b, c].map((r) => snapshot(payments, r));
        expect(snapshot(payments, mergeRows(payments, a, b))).toBe(snapshot(payments, mergeRows(payments, b, a)));
        expect(snapshot(payments, mergeRows(payments, mergeRows(payments, a, b), c))).toBe(
          snapshot(payments, mergeRows(payments, a, mergeRows(payments, b, c))),
        );
        expect(snapshot(payments, mergeRows(payments, a, new ViewRows(2)))).toBe(before[0]);
        expect([a, b, c].map((r) => snapshot(payments, r))).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('mergeRowsInto changes only its target', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, (xs, ys) => {
        const target = aggregateEvents(payments, xs);
        const source = aggregateEvents(payments, ys);
        const sourceBefore = snapshot(payments, source);
        mergeRowsInto(payments, target, source);
        expect(snapshot(payments, target)).toBe(snapshot(payments, aggregateEvents(payments, [...xs, ...ys])));
        expect(snapshot(payments, source)).toBe(sourceBefore);
        aggregateEvents(payments, ys, target); // mutating target again must not leak into source
        expect(snapshot(payments, source)).toBe(sourceBefore);
      }),
      { numRuns: 200 },
    );
  });
});
