import {
  HyperLogLog,
  decodeGroupKey,
  encodeGroupKey,
  metricOps,
  ViewRows,
  type AvgState,
  type MetricState,
  type ViewDefinition,
  type ViewRow,
} from '@tributary/core';

/**
 * How metric states live in a view-bucket hash (one hash per view, generation and bucket).
 * The field is `<metric>[.<part>]|<group>`, where `<group>` is core's `encodeGroupKey(dims)`:
 *
 *   count     <m>|<g>            integer, HINCRBY
 *   sum       <m>|<g>            number, HINCRBYFLOAT; absent = null
 *   min, max  <m>|<g>            number, kept by compare in Lua; absent = null
 *   avg       <m>.s|<g> <m>.n|<g>  sum (HINCRBYFLOAT) and count of values (HINCRBY)
 *   distinct  <m>.<register>|<g> rank, kept by max in Lua (HyperLogLog registers, sparse)
 *
 * Values travel as strings (String(number) is the shortest exact form), so no layer rounds them.
 */
export type FieldOp = 'c' | 's' | 'n' | 'x';
export type FieldUpdate = [field: string, op: FieldOp, value: string];

/** The updates that add `row`'s states to a view-bucket hash. */
export function rowUpdates(view: ViewDefinition, row: ViewRow): FieldUpdate[] {
  const group = encodeGroupKey(row.dims);
  const updates: FieldUpdate[] = [];
  view.metrics.forEach((metric, i) => {
    const state = row.states[i] as MetricState;
    const name = metric.name;
    switch (metric.kind) {
      case 'count':
        if ((state as number) > 0) updates.push([`${name}|${group}`, 'c', String(state)]);
        break;
      case 'sum':
        if (state !== null) updates.push([`${name}|${group}`, 's', String(state)]);
        break;
      case 'min':
        if (state !== null) updates.push([`${name}|${group}`, 'n', String(state)]);
        break;
      case 'max':
        if (state !== null) updates.push([`${name}|${group}`, 'x', String(state)]);
        break;
      case 'avg': {
        const { sum, count } = state as AvgState;
        if (count > 0) updates.push([`${name}.s|${group}`, 's', String(sum)], [`${name}.n|${group}`, 'c', String(count)]);
        break;
      }
      case 'distinct':
        for (const code of (state as HyperLogLog).toPacked()) {
          updates.push([`${name}.${code >>> 6}|${group}`, 'x', String(code & 63)]);
        }
        break;
    }
  });
  return updates;
}

/**
 * Reads a view-bucket hash (HGETALL) back into rows of `bucket`, adding them to `into`. Fields of
 * metrics the view no longer has are ignored, so a changed view never breaks a query.
 */
export function hashToRows(view: ViewDefinition, bucket: number, hash: Record<string, string>, into: ViewRows = new ViewRows(view.dimensions.length)): ViewRows {
  const metricIndex = new Map(view.metrics.map((m, i) => [m.name, i]));
  const registers = new Map<string, number[]>();
  const rowsByGroup = new Map<string, ViewRow>();

  const rowFor = (group: string): ViewRow => {
    let row = rowsByGroup.get(group);
    if (!row) {
      row = { bucket, dims: decodeGroupKey(group), states: view.metrics.map((m) => metricOps[m.kind].initialize()) };
      rowsByGroup.set(group, row);
    }
    return row;
  };

  for (const [field, value] of Object.entries(hash)) {
    const bar = field.indexOf('|');
    if (bar < 0) continue;
    const group = field.slice(bar + 1);
    const head = field.slice(0, bar);
    const dot = head.indexOf('.');
    const name = dot < 0 ? head : head.slice(0, dot);
    const part = dot < 0 ? '' : head.slice(dot + 1);
    const i = metricIndex.get(name);
    if (i === undefined) continue;
    const metric = view.metrics[i];
    if (!metric) continue;
    const row = rowFor(group);
    const number = Number(value);
    if (metric.kind === 'avg') {
      const state = row.states[i] as AvgState;
      if (part === 's') state.sum = number;
      else if (part === 'n') state.count = number;
    } else if (metric.kind === 'distinct') {
      const key = `${i}|${group}`;
      const list = registers.get(key) ?? [];
      list.push(Number(part) * 64 + number);
      registers.set(key, list);
    } else if (part === '') {
      row.states[i] = number;
    }
  }

  for (const [key, packed] of registers) {
    const bar = key.indexOf('|');
    const row = rowFor(key.slice(bar + 1));
    row.states[Number(key.slice(0, bar))] = HyperLogLog.fromPacked(packed.sort((a, b) => a - b));
  }
  for (const row of rowsByGroup.values()) into.set(row);
  return into;
}
