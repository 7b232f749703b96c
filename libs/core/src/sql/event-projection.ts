import type { ViewDefinition } from '../views/view';
import { hllHashSql, hllPackedSql } from './hll-sql';
import { quoteLiteral } from './quote';

/**
 * The typed columns a store of normalized events may hold next to `attrs`/`nums` so that
 * `viewStatesSql` reads plain columns instead of map lookups, and no hash: what the views need, computed
 * once when the events are stored (the batch layer's normalized Parquet):
 *
 *   id_hash UBIGINT   md5_number_upper(id): repeated ids are found by an integer aggregation
 *   pa<i>   VARCHAR   attrs[texts[i]]       every dimension and `distinct` field of the views
 *   pn<i>   DOUBLE    nums[numbers[i]]      every sum/min/max/avg field
 *   pr<i>   INTEGER   the HyperLogLog register of attrs[registers[i]], packed index*64+rank (hll-sql.ts;
 *                     NULL when the attribute is missing or null)   every `distinct` field
 *
 * Columns are positional (attribute names may be any text; DuckDB identifiers are case-insensitive), so
 * a store made for one projection must only be read with that projection: key the store by
 * `projectionFingerprint`.
 */
export interface EventProjection {
  readonly texts: readonly string[];
  readonly numbers: readonly string[];
  readonly registers: readonly string[];
}

export const ID_HASH_COLUMN = 'id_hash';

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The projection covering every field the views read. */
export function eventProjection(views: readonly ViewDefinition[]): EventProjection {
  const texts: string[] = [];
  const numbers: string[] = [];
  const registers: string[] = [];
  for (const view of views) {
    texts.push(...view.dimensions);
    for (const metric of view.metrics) {
      if (metric.field === undefined) continue;
      if (metric.kind === 'distinct') {
        texts.push(metric.field);
        registers.push(metric.field);
      } else numbers.push(metric.field);
    }
  }
  return { texts: sortedUnique(texts), numbers: sortedUnique(numbers), registers: sortedUnique(registers) };
}

/** A stable text for the projection (goes into the store's key). */
export function projectionFingerprint(projection: EventProjection): string {
  return JSON.stringify([projection.texts, projection.numbers, projection.registers]);
}

/** Names of the projected columns for a field (undefined when the projection lacks it). */
export const projectedText = (p: EventProjection, field: string): string | undefined => column('pa', p.texts.indexOf(field));
export const projectedNumber = (p: EventProjection, field: string): string | undefined => column('pn', p.numbers.indexOf(field));
export const projectedRegister = (p: EventProjection, field: string): string | undefined => column('pr', p.registers.indexOf(field));
const column = (prefix: string, index: number): string | undefined => (index < 0 ? undefined : `${prefix}${index}`);

/** The projected columns and their SQL types, in table order. */
export function projectionColumns(projection: EventProjection): Record<string, string> {
  const out: Record<string, string> = { [ID_HASH_COLUMN]: 'UBIGINT' };
  projection.texts.forEach((_, i) => (out[`pa${i}`] = 'VARCHAR'));
  projection.numbers.forEach((_, i) => (out[`pn${i}`] = 'DOUBLE'));
  projection.registers.forEach((_, i) => (out[`pr${i}`] = 'INTEGER'));
  return out;
}

/**
 * `SELECT <every column of source>, id_hash, pa…, pn…, pr… FROM <source>`: the projected columns
 * computed from `id`, `attrs` and `nums` of a FROM item of normalized events (`orderBy` appended).
 */
export function projectEventsSql(source: string, projection: EventProjection, orderBy?: string): string {
  const inner = [
    `md5_number_upper(id) AS ${ID_HASH_COLUMN}`,
    ...projection.texts.map((f, i) => `attrs[${quoteLiteral(f)}] AS pa${i}`),
    ...projection.numbers.map((f, i) => `nums[${quoteLiteral(f)}] AS pn${i}`),
    ...projection.registers.map((f, i) => `${hllHashSql(`attrs[${quoteLiteral(f)}]`)} AS trb_h${i}`),
  ];
  const hashes = projection.registers.map((_, i) => `trb_h${i}`);
  const outer = ['*', ...projection.registers.map((_, i) => `${hllPackedSql(`trb_h${i}`)} AS pr${i}`)];
  if (hashes.length > 0) outer[0] = `* EXCLUDE (${hashes.join(', ')})`;
  return `SELECT ${outer.join(', ')} FROM (SELECT *, ${inner.join(', ')} FROM ${source})${orderBy === undefined ? '' : ` ORDER BY ${orderBy}`}`;
}

/**
 * Like `projectEventsSql`, over a source that already holds the projected columns of another
 * projection `from` (a cache built for other views): columns of fields both projections have are
 * taken over (the id hash always), only the others are computed from `attrs` and `nums`. Passes on
 * the `keep` columns of the source (its events), not its projected columns.
 */
export function reprojectEventsSql(source: string, keep: readonly string[], projection: EventProjection, from: EventProjection, orderBy?: string): string {
  const reuse = (list: readonly string[], prefix: string, field: string): string | undefined => {
    const i = list.indexOf(field);
    return i < 0 ? undefined : `${prefix}${i}`;
  };
  const columns = [
    ...keep,
    ID_HASH_COLUMN,
    ...projection.texts.map((f, i) => `${reuse(from.texts, 'pa', f) ?? `attrs[${quoteLiteral(f)}]`} AS trb_pa${i}`),
    ...projection.numbers.map((f, i) => `${reuse(from.numbers, 'pn', f) ?? `nums[${quoteLiteral(f)}]`} AS trb_pn${i}`),
    ...projection.registers.map((f, i) => `${reuse(from.registers, 'pr', f) ?? hllPackedSql(hllHashSql(`attrs[${quoteLiteral(f)}]`))} AS trb_pr${i}`),
  ];
  const renamed = [
    ...keep,
    ID_HASH_COLUMN,
    ...projection.texts.map((_, i) => `trb_pa${i} AS pa${i}`),
    ...projection.numbers.map((_, i) => `trb_pn${i} AS pn${i}`),
    ...projection.registers.map((_, i) => `trb_pr${i} AS pr${i}`),
  ];
  return `SELECT ${renamed.join(', ')} FROM (SELECT ${columns.join(', ')} FROM ${source})${orderBy === undefined ? '' : ` ORDER BY ${orderBy}`}`;
}
