import { DuckDBInstance } from '@duckdb/node-api';
import { decodeStatesRow, quoteLiteral, ViewRows, type ViewDefinition } from '@tributary/core';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** The batch half of a query: a view's states of one batch version in [fromBucket, toBucket). */
export interface BatchViewReader {
  /**
   * The rows of `<lakeDir>/views/<version>/<view>.parquet` whose bucket lies in the range, or
   * undefined when that file does not exist (the version predates the view, or it was deleted after
   * a newer version was published: the caller tells the two apart by re-reading the pointer).
   * The returned rows are shared with the cache: do not change them.
   */
  readStates(version: string, view: ViewDefinition, range: { fromBucket: number; toBucket: number }): Promise<ViewRows | undefined>;
  close(): void;
}

export interface BatchViewReaderOptions {
  readonly lakeDir: string;
  /** Cached answers, keyed by (version, view, range); default 256. Versions are immutable. */
  readonly cacheEntries?: number;
  /** DuckDB worker threads; default 2 (queries are small: one view, one range). */
  readonly threads?: number;
}

/** `<lakeDir>/views/<version>/<view>.parquet`, as the batch layer writes it. */
export const batchViewFile = (lakeDir: string, version: string, view: string): string => join(lakeDir, 'views', version, `${view}.parquet`);

const VERSION_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * Reads batch versions with an in-process DuckDB (`read_parquet` on the version's file, filtered on
 * `bucket` so DuckDB skips row groups by their statistics) and decodes the states with core. A
 * version is immutable, so answers are cached in a small LRU; concurrent identical reads share one
 * query. Each read opens its own connection (cheap), so reads run in parallel.
 */
export async function createBatchViewReader(options: BatchViewReaderOptions): Promise<BatchViewReader> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 2) });
  const capacity = Math.max(1, options.cacheEntries ?? 256);
  const cache = new Map<string, Promise<ViewRows | undefined>>();
  let closed = false;

  async function exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  }

  async function load(path: string, view: ViewDefinition, fromBucket: number, toBucket: number): Promise<ViewRows | undefined> {
    if (!(await exists(path))) return undefined;
    const connection = await instance.connect();
    try {
      const sql = `SELECT * FROM read_parquet(${quoteLiteral(path)}) WHERE bucket >= ${fromBucket} AND bucket < ${toBucket}`;
      const reader = await connection.runAndReadAll(sql);
      const rows = new ViewRows(view.dimensions.length);
      for (const record of reader.getRowObjectsJS()) rows.set(decodeStatesRow(view, record));
      return rows;
    } catch (err) {
      // Deleted between the check and the read (an old version garbage-collected): same as absent.
      if (!(await exists(path))) return undefined;
      throw err;
    } finally {
      connection.closeSync();
    }
  }

  return {
    readStates(version, view, { fromBucket, toBucket }) {
      if (closed) return Promise.reject(new Error('the batch view reader is closed'));
      if (!VERSION_NAME.test(version)) return Promise.reject(new TypeError(`not a batch version name: ${JSON.stringify(version)}`));
      if (!Number.isSafeInteger(fromBucket) || !Number.isSafeInteger(toBucket)) {
        return Promise.reject(new TypeError(`bucket bounds must be integers (epoch ms), got ${fromBucket}, ${toBucket}`));
      }
      const key = JSON.stringify([version, view.name, fromBucket, toBucket]);
      const hit = cache.get(key);
      if (hit !== undefined) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const pending = load(batchViewFile(options.lakeDir, version, view.name), view, fromBucket, toBucket);
      cache.set(key, pending);
      // Failures and absent files are not cached: the next read tries again.
      pending.then(
        (rows) => rows === undefined && cache.get(key) === pending && cache.delete(key),
        () => cache.get(key) === pending && cache.delete(key),
      );
      while (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        cache.delete(oldest);
      }
      return pending;
    },
    close() {
      if (closed) return;
      closed = true;
      cache.clear();
      instance.closeSync();
    },
  };
}
