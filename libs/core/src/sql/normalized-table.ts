import { attributeText, type NormalizedEvent } from '../events/event';
import { setOwn } from '../own';
import { quoteIdentifier } from './quote';

/**
 * The normalized events table that `viewStatesSql` reads (and the batch layer keeps as Parquet):
 *
 *   id    VARCHAR                  the event id
 *   type  VARCHAR                  the event type
 *   ts    BIGINT                   event time, epoch milliseconds (UTC)
 *   attrs MAP(VARCHAR, VARCHAR)    every attribute as its text (`attributeText`; null stays NULL)
 *   nums  MAP(VARCHAR, DOUBLE)     the attributes that are numbers, as numbers
 *
 * Why maps: the set of attributes varies by event type and over time, so fixed columns would need a
 * schema per file and type unification across files. Why texts made in TypeScript: dimensions and
 * `distinct` compare values as strings, and DuckDB formats numbers differently from JavaScript (12.0
 * vs 12), so the text is made once, here, and SQL only looks it up; sums read `nums`, so no number is
 * ever parsed back from text. A string "12" is in `attrs` only, so SQL never sums it — as TypeScript
 * never does.
 */
export const NORMALIZED_EVENT_COLUMNS = {
  id: 'VARCHAR',
  type: 'VARCHAR',
  ts: 'BIGINT',
  attrs: 'MAP(VARCHAR, VARCHAR)',
  nums: 'MAP(VARCHAR, DOUBLE)',
} as const;

/** One row of that table as JSON-able values (write them as NDJSON and read with `readNormalizedJsonSql`). */
export interface NormalizedEventRow {
  readonly id: string;
  readonly type: string;
  readonly ts: number;
  readonly attrs: Readonly<Record<string, string | null>>;
  readonly nums: Readonly<Record<string, number>>;
}

export function toNormalizedRow(event: NormalizedEvent): NormalizedEventRow {
  const attrs: Record<string, string | null> = {};
  const nums: Record<string, number> = {};
  for (const key of Object.keys(event.attrs)) {
    const value = event.attrs[key];
    setOwn(attrs, key, attributeText(value));
    if (typeof value === 'number') setOwn(nums, key, value);
  }
  return { id: event.id, type: event.type, ts: event.ts, attrs, nums };
}

/** `CREATE TABLE IF NOT EXISTS <table> (id VARCHAR, …)`. */
export function createNormalizedTableSql(table: string): string {
  const columns = Object.entries(NORMALIZED_EVENT_COLUMNS).map(([name, type]) => `${name} ${type}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (${columns.join(', ')})`;
}

/**
 * A FROM item reading NDJSON files of `NormalizedEventRow`s with the right column types, e.g.
 * `readNormalizedJsonSql("'/lake/x.ndjson'")` or with a list literal of paths (`pathsSql` is SQL).
 */
export function readNormalizedJsonSql(pathsSql: string): string {
  const columns = Object.entries(NORMALIZED_EVENT_COLUMNS).map(([name, type]) => `${name}: '${type}'`);
  return `read_json(${pathsSql}, format = 'newline_delimited', columns = {${columns.join(', ')}})`;
}
