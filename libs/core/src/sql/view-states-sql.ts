import { GRANULARITY_MS } from '../buckets/granularity';
import type { ViewDefinition } from '../views/view';
import { type EventProjection, projectedNumber, projectedRegister, projectedText } from './event-projection';
import { hllFoldLongSql, hllHashSql, hllPackedSql, hllRegistersAggSql, hllSortLongSql } from './hll-sql';
import { quoteIdentifier, quoteLiteral } from './quote';
import { stateColumns } from './state-columns';

export interface ViewStatesSqlOptions {
  /**
   * A FROM item holding normalized events (see NORMALIZED_EVENT_COLUMNS): a table name (quote it with
   * quoteIdentifier), `read_parquet([...])`, or a parenthesized subquery, e.g. one restricting Kafka
   * offsets to a cut. Inserted verbatim: it must come from code, never from user input.
   */
  readonly source: string;
  /** Count each id once (CONTRACT.md §1). Default true. Off when the source is already deduplicated. */
  readonly dedupById?: boolean;
  /** ORDER BY bucket, dims (NULLS LAST). Default true. */
  readonly orderBy?: boolean;
  /**
   * Read the projected columns of this projection (event-projection.ts) instead of `attrs`/`nums`
   * lookups and md5 hashes; the source must hold them (plus `id`, `type`, `ts`).
   */
  readonly projection?: EventProjection;
  /**
   * Dedup by subtraction: a FROM item (same columns as `source`) of rows to take out of the states,
   * each an exact copy (same type, ts and values) of a row of `source` that stays. Such a copy falls
   * in its original's group and changes no min, max or HyperLogLog register, so the states are those
   * of `source` with the copies' count, sums and avg parts subtracted: the big scan needs no join.
   * Counts, min, max and registers come out exact; sums to floating-point rounding of the sum with
   * the copies (well within 1e-9 relative unless copies dwarf values that cancel out).
   * Requires `dedupById: false`.
   */
  readonly subtract?: string;
  /**
   * For groups of many events (well above the 16 384 registers): aggregate per (group, register
   * index) first, so each group's register list is built from at most one entry per register. Same
   * states; applies to views with one distinct field (others ignore it).
   */
  readonly registersFirst?: boolean;
  /** The source holds events of the view's types only (the caller knows): no filter on type. */
  readonly onlyItsTypes?: boolean;
}

/**
 * DuckDB SQL computing a view's states per (bucket, group) from normalized events, in the columns of
 * `stateColumns(view)` and the serialization of `EncodedState` — the same states `aggregateEvents`
 * makes in TypeScript, HyperLogLog registers bit for bit once read (index and rank per value as in
 * hll-sql.ts; per group the list of its packed registers, which `HyperLogLog.fromPacked` folds). Events
 * are filtered by the view's types, then (by default) deduplicated by id, keeping the earliest `ts`.
 * One GROUP BY per view: every metric, registers included, in one pass.
 */
export function viewStatesSql(view: ViewDefinition, options: ViewStatesSqlOptions): string {
  const cols = stateColumns(view);
  const size = GRANULARITY_MS[view.granularity];
  const dims = cols.dimensions;
  const groupCols = ['bucket', ...dims];
  const numericFields = unique(view.metrics.filter((m) => m.kind !== 'count' && m.kind !== 'distinct').map((m) => m.field as string));
  const textFields = unique(view.metrics.filter((m) => m.kind === 'distinct').map((m) => m.field as string));
  const numCol = (field: string): string => `n${numericFields.indexOf(field)}`;
  const projection = options.projection;
  const need = (found: string | undefined, field: string): string => {
    if (found === undefined) throw new TypeError(`view "${view.name}": the projection has no column for field ${JSON.stringify(field)}`);
    return found;
  };
  const text = (f: string): string => (projection === undefined ? `attrs[${quoteLiteral(f)}]` : need(projectedText(projection, f), f));
  const number = (f: string): string => (projection === undefined ? `nums[${quoteLiteral(f)}]` : need(projectedNumber(projection, f), f));
  const register = (f: string): string => (projection === undefined ? `h${textFields.indexOf(f)}` : need(projectedRegister(projection, f), f));

  const types = view.eventTypes.map(quoteLiteral).join(', ');
  const dedup = options.dedupById === false ? '' : '\n  QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts) = 1';
  if (options.subtract !== undefined && options.dedupById !== false) throw new TypeError('viewStatesSql: subtract requires dedupById: false');
  const read = [
    ...(dedup === '' ? [] : ['id']),
    ...(projection === undefined ? ['ts', 'attrs', 'nums'] : unique(['ts', ...view.dimensions.map(text), ...numericFields.map(number), ...textFields.map(register)])),
  ].join(', ');
  const selected = [
    `ts - ((ts % ${size}) + ${size}) % ${size} AS bucket`,
    ...view.dimensions.map((d, i) => `${text(d)} AS d${i}`),
    ...numericFields.map((f, i) => `${number(f)} AS n${i}`),
    ...textFields.map((f, i) => `${projection === undefined ? hllHashSql(text(f)) : register(f)} AS h${i}`),
  ];
  const ctes = [
    `selected AS (\n  SELECT ${read} FROM ${options.source}${options.onlyItsTypes === true ? '' : `\n  WHERE type IN (${types})`}${dedup}\n)`,
    `grouped AS (\n  SELECT ${selected.join(',\n    ')}\n  FROM selected\n)`,
  ];
  // Without a projection the h<i> are md5 hashes, packed into registers here; with one they already are.
  let from = 'grouped';
  if (projection === undefined && textFields.length > 0) {
    ctes.push(`registered AS (\n  SELECT * REPLACE (${textFields.map((_, i) => `${hllPackedSql(`h${i}`)} AS h${i}`).join(', ')})\n  FROM grouped\n)`);
    from = 'registered';
  }

  // Registers first (one distinct field only): per (group, register index) the highest packed register
  // and the partial aggregates, then per group — each group's list then holds at most one entry per
  // register instead of one per event.
  if (options.registersFirst === true && textFields.length === 1) {
    const partials = [
      'count(*) AS trb_c',
      ...numericFields.flatMap((_, i) => [`sum(n${i}) AS n${i}_s`, `count(n${i}) AS n${i}_k`, `min(n${i}) AS n${i}_lo`, `max(n${i}) AS n${i}_hi`]),
      'max(h0) AS h0',
    ];
    ctes.push(`registers AS (\n  SELECT ${[...groupCols, ...partials].join(',\n    ')}\n  FROM ${from}\n  GROUP BY ${[...groupCols, `${from}.h0 // 64`].join(', ')}\n)`);
    from = 'registers';
  }
  const pre = from === 'registers';
  const aggregates = view.metrics.flatMap((m, j) => {
    const out = quoteIdentifier(cols.metrics[j] as string);
    const n = m.field === undefined ? '' : numCol(m.field);
    switch (m.kind) {
      case 'count':
        return [`${pre ? 'sum(trb_c)' : 'count(*)'}::BIGINT AS ${out}`];
      case 'sum':
        return [`sum(${pre ? `${n}_s` : n})::DOUBLE AS ${out}`];
      case 'min':
        return [`min(${pre ? `${n}_lo` : n})::DOUBLE AS ${out}`];
      case 'max':
        return [`max(${pre ? `${n}_hi` : n})::DOUBLE AS ${out}`];
      case 'avg':
        return [`[coalesce(sum(${pre ? `${n}_s` : n}), 0), ${pre ? `sum(${n}_k)` : `count(${n})`}]::DOUBLE[] AS ${out}`];
      case 'distinct':
        return [];
    }
  });
  const lists = textFields.map((_, i) => `${hllRegistersAggSql(`h${i}`)} AS l${i}`);
  // Long register lists are sorted in `base` and folded below (registers first: already one per register).
  const sortLong = !pre && textFields.length > 0;
  const aggregated = `SELECT ${[...groupCols, ...aggregates, ...lists].join(',\n    ')}\n  FROM ${from}\n  GROUP BY ${groupCols.join(', ')}`;
  if (sortLong) {
    ctes.push(`grouped_states AS (\n  ${aggregated}\n)`);
    ctes.push(`base AS (\n  SELECT * REPLACE (${textFields.map((_, i) => `${hllSortLongSql(`l${i}`)} AS l${i}`).join(', ')})\n  FROM grouped_states\n)`);
  } else ctes.push(`base AS (\n  ${aggregated}\n)`);

  const subtract = options.subtract;
  if (subtract !== undefined) {
    // The copies' share of each group: count, and per numeric field its sum and count of non-nulls.
    const copied = selected.slice(0, 1 + view.dimensions.length + numericFields.length);
    const shares = ['count(*) AS c', ...numericFields.flatMap((_, i) => [`sum(n${i}) AS s${i}`, `count(n${i}) AS k${i}`])];
    ctes.push(
      `copies AS (\n  SELECT ${copied.join(',\n    ')}\n  FROM (SELECT ${read} FROM ${subtract} WHERE type IN (${types}))\n)`,
      `copied AS (\n  SELECT ${[...groupCols, ...shares].join(', ')}\n  FROM copies\n  GROUP BY ${groupCols.join(', ')}\n)`,
    );
  }
  const own = (c: string): string => (subtract === undefined ? c : `b.${c}`);
  const outputs = [
    ...groupCols.map((c) => (subtract === undefined ? c : `b.${c} AS ${c}`)),
    ...view.metrics.map((m, j) => {
      const out = quoteIdentifier(cols.metrics[j] as string);
      if (m.kind === 'distinct') {
        const list = own(`l${textFields.indexOf(m.field as string)}`);
        return `${sortLong ? hllFoldLongSql(list) : `coalesce(${list}, []::INTEGER[])`} AS ${out}`;
      }
      if (subtract === undefined) return out;
      const n = numericFields.indexOf(m.field as string);
      if (m.kind === 'count') return `b.${out} - coalesce(x.c, 0) AS ${out}`;
      if (m.kind === 'sum') return `b.${out} - coalesce(x.s${n}, 0) AS ${out}`;
      if (m.kind === 'avg') return `[b.${out}[1] - coalesce(x.s${n}, 0), b.${out}[2] - coalesce(x.k${n}, 0)]::DOUBLE[] AS ${out}`;
      return `b.${out} AS ${out}`; // min, max: a copy repeats a value already there
    }),
  ];
  const join =
    subtract === undefined
      ? 'base'
      : `base b LEFT JOIN copied x ON ${groupCols.map((c) => `b.${c} IS NOT DISTINCT FROM x.${c}`).join(' AND ')}`;
  const order = options.orderBy === false ? '' : `\nORDER BY ${groupCols.map((c) => `${c} ASC NULLS LAST`).join(', ')}`;
  return `WITH ${ctes.join(',\n')}\nSELECT ${outputs.join(',\n  ')}\nFROM ${join}${order}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
