import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import { quoteLiteral } from '@tributary/core';

export type DuckDBRow = Record<string, JS>;

export interface DuckDBSessionOptions {
  /** Worker threads; default: DuckDB's (one per core). */
  readonly threads?: number;
  /** e.g. '4GB'; default: DuckDB's (80% of RAM). */
  readonly memoryLimit?: string;
  /** Where DuckDB spills what does not fit in memory (sorts, window functions over big inputs). */
  readonly tempDirectory?: string;
}

/**
 * An in-process DuckDB (in memory: every input and output is a file DuckDB reads or writes itself)
 * with the few calls the batch layer needs. Results meant to be large are written with
 * `copyToParquet` and never travel through JavaScript; `rows` is for small answers and `stream`
 * hands over big ones chunk by chunk.
 */
export interface DuckDBSession {
  readonly connection: DuckDBConnection;
  run(sql: string): Promise<void>;
  /** Every row of a (small) result, values converted to JS (BIGINT as bigint, lists as arrays). */
  rows(sql: string): Promise<DuckDBRow[]>;
  /** The rows of a result, one chunk (about 2048 rows) at a time. */
  stream(sql: string): AsyncGenerator<DuckDBRow[]>;
  /** `COPY (<select>) TO <path> (FORMAT parquet)`; returns the number of rows written. */
  copyToParquet(selectSql: string, path: string, options?: { compression?: 'zstd' | 'snappy' | 'lz4_raw' | 'uncompressed'; rowGroupSize?: number }): Promise<number>;
  close(): void;
}

export async function openDuckDB(options: DuckDBSessionOptions = {}): Promise<DuckDBSession> {
  const settings: Record<string, string> = {};
  if (options.threads !== undefined) settings['threads'] = String(options.threads);
  if (options.memoryLimit !== undefined) settings['memory_limit'] = options.memoryLimit;
  if (options.tempDirectory !== undefined) settings['temp_directory'] = options.tempDirectory;
  const instance = await DuckDBInstance.create(':memory:', settings);
  const connection = await instance.connect();
  let closed = false;
  return {
    connection,
    run: async (sql) => void (await connection.run(sql)),
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS(),
    async *stream(sql) {
      const result = await connection.stream(sql);
      for await (const rows of result.yieldRowObjectJs()) yield rows;
    },
    async copyToParquet(selectSql, path, copyOptions = {}) {
      const parts = ['FORMAT parquet', `COMPRESSION ${copyOptions.compression ?? 'zstd'}`];
      if (copyOptions.rowGroupSize !== undefined) parts.push(`ROW_GROUP_SIZE ${copyOptions.rowGroupSize}`);
      const result = await connection.run(`COPY (${selectSql}) TO ${quoteLiteral(path)} (${parts.join(', ')})`);
      return result.rowsChanged;
    },
    close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL list literal of file paths, e.g. for `read_parquet(…)`. */
export const pathListSql = (paths: readonly string[]): string => `[${paths.map(quoteLiteral).join(', ')}]`;
