import { GRANULARITY_MS } from '../buckets/granularity';
import type { ViewDefinition } from '../views/view';
import { hllHashSql, hllIndexSql, hllRankSql } from './hll-sql';
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
}

/**
 * DuckDB SQL computing a view's states per (bucket, group) from normalized events, in the columns of
 * `stateColumns(view)` and the serialization of `EncodedState` — the same states `aggregateEvents`
 * makes in TypeScript, HyperLogLog registers bit for bit (index and rank per value as in hll-sql.ts,
 * then max(rank) per (bucket, group, index), listed sorted as index*64+rank). Events are filtered by
 * the view's types, then (by default) deduplicated by id, keeping the earliest `ts`.
 */
export function viewStatesSql(view: ViewDefinition, options: ViewStatesSqlOptions): string {
  const cols = stateColumns(view);
  const size = GRANULARITY_MS[view.granularity];
  const dims = cols.dimensions;
  const groupCols = ['bucket', ...dims];
  const numericFields = unique(view.metrics.filter((m) => m.kind !== 'count' && m.kind !== 'distinct').map((m) => m.field as string));
  const textFields = unique(view.metrics.filter((m) => m.kind === 'distinct').map((m) => m.field as string));
  const numCol = (field: string): string => `n${numericFields.indexOf(field)}`;
  const textCol = (field: string): string => `t${textFields.indexOf(field)}`;

  const types = view.eventTypes.map(quoteLiteral).join(', ');
  const dedup = options.dedupById === false ? '' : '\n  QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts) = 1';
  const selected = [
    `ts - ((ts % ${size}) + ${size}) % ${size} AS bucket`,
    ...view.dimensions.map((d, i) => `attrs[${quoteLiteral(d)}] AS d${i}`),
    ...numericFields.map((f, i) => `nums[${quoteLiteral(f)}] AS n${i}`),
    ...textFields.map((f, i) => `attrs[${quoteLiteral(f)}] AS t${i}`),
  ];
  const ctes = [
    `selected AS (\n  SELECT id, ts, attrs, nums FROM ${options.source}\n  WHERE type IN (${types})${dedup}\n)`,
    `grouped AS (\n  SELECT ${selected.join(',\n    ')}\n  FROM selected\n)`,
  ];

  const aggregates = view.metrics.flatMap((m, j) => {
    const out = quoteIdentifier(cols.metrics[j] as string);
    const field = m.field as string;
    switch (m.kind) {
      case 'count':
        return [`count(*)::BIGINT AS ${out}`];
      case 'sum':
      case 'min':
      case 'max':
        return [`${m.kind}(${numCol(field)})::DOUBLE AS ${out}`];
      case 'avg':
        return [`[coalesce(sum(${numCol(field)}), 0), count(${numCol(field)})]::DOUBLE[] AS ${out}`];
      case 'distinct':
        return [];
    }
  });
  ctes.push(`base AS (\n  SELECT ${[...groupCols, ...aggregates].join(',\n    ')}\n  FROM grouped\n  GROUP BY ${groupCols.join(', ')}\n)`);

  const g = groupCols.join(', ');
  textFields.forEach((field, k) => {
    const t = textCol(field);
    ctes.push(
      `hll${k} AS (\n` +
        `  SELECT ${g}, list(idx * 64 + rnk ORDER BY idx)::INTEGER[] AS regs FROM (\n` +
        `    SELECT ${g}, idx, max(${hllRankSql('h')}) AS rnk FROM (\n` +
        `      SELECT ${g}, ${hllHashSql(t)} AS h, ${hllIndexSql('h')} AS idx FROM grouped WHERE ${t} IS NOT NULL\n` +
        `    ) GROUP BY ${g}, idx\n` +
        `  ) GROUP BY ${g}\n)`,
    );
  });

  const outputs = [
    'base.bucket AS bucket',
    ...dims.map((d) => `base.${d} AS ${d}`),
    ...view.metrics.map((m, j) => {
      const out = quoteIdentifier(cols.metrics[j] as string);
      return m.kind === 'distinct' ? `coalesce(hll${textFields.indexOf(m.field as string)}.regs, []::INTEGER[]) AS ${out}` : `base.${out} AS ${out}`;
    }),
  ];
  const joins = textFields.map((_, k) => {
    const on = ['bucket', ...dims].map((c) => (c === 'bucket' ? `hll${k}.bucket = base.bucket` : `hll${k}.${c} IS NOT DISTINCT FROM base.${c}`));
    return `\nLEFT JOIN hll${k} ON ${on.join(' AND ')}`;
  });
  const order = options.orderBy === false ? '' : `\nORDER BY ${groupCols.map((c) => `${c} ASC NULLS LAST`).join(', ')}`;
  return `WITH ${ctes.join(',\n')}\nSELECT ${outputs.join(',\n  ')}\nFROM base${joins.join('')}${order}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
