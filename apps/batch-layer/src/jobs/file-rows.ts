import type { DuckDBSession } from '@tributary/adapter-duckdb';
import { quoteLiteral } from '@tributary/core';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { InputRecord } from './normalized-writer';

export type FileFormat = 'csv' | 'ndjson' | 'json' | 'parquet';

const FORMATS: Readonly<Record<string, FileFormat>> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json', '.parquet': 'parquet' };

/** The format of an inbox file by its extension (CONTRACT.md §5), or undefined. */
export const fileFormat = (name: string): FileFormat | undefined => FORMATS[extname(name).toLowerCase()];

/** How a file's records are numbered in its rejected list. */
export const positionLabel = (format: FileFormat): 'line' | 'row' => (format === 'ndjson' ? 'line' : 'row');

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A CSV cell as an attribute (CONTRACT.md §5): empty is null, a number written as JSON writes numbers
 * is a number, anything else is text. `id` and `type` stay text (they must be strings), and numbers
 * with leading zeros ("0012") stay text, as they are codes rather than quantities.
 */
export function csvCell(column: string, cell: string | null): string | number | null {
  if (cell === null || cell === '') return null;
  if (column === 'id' || column === 'type') return cell;
  if (NUMBER.test(cell)) {
    const n = Number(cell);
    if (Number.isFinite(n)) return n;
  }
  return cell;
}

/** A value DuckDB read from Parquet as an event field: integers as numbers, times as epoch ms. */
export function parquetValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.getTime();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}

/**
 * Streams the records of an inbox file, never holding it whole: NDJSON line by line (numbered from 1,
 * blank lines skipped), the other formats read by DuckDB chunk by chunk (rows numbered from 1, a CSV
 * header not counted). Every record is received at `receivedAt`, the time of the batch run.
 */
export async function* fileRecords(duckdb: DuckDBSession, path: string, format: FileFormat, receivedAt: number): AsyncGenerator<InputRecord> {
  if (format === 'ndjson') {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim().length > 0) yield { position: line, receivedAt, text };
    }
    return;
  }
  const file = quoteLiteral(path);
  let row = 0;
  if (format === 'json') {
    for await (const chunk of duckdb.stream(`SELECT json::VARCHAR AS j FROM read_json_objects(${file}, format = 'array')`)) {
      for (const record of chunk) yield { position: ++row, receivedAt, text: record['j'] as string };
    }
    return;
  }
  const source = format === 'csv' ? `read_csv(${file}, header = true, all_varchar = true)` : `read_parquet(${file})`;
  for await (const chunk of duckdb.stream(`SELECT * FROM ${source}`)) {
    for (const record of chunk) {
      const raw: Record<string, unknown> = {};
      for (const [column, value] of Object.entries(record)) {
        raw[column] = format === 'csv' ? csvCell(column, value as string | null) : parquetValue(value);
      }
      yield { position: ++row, receivedAt, raw };
    }
  }
}
