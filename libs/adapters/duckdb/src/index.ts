export { openDuckDB, pathListSql, type DuckDBRow, type DuckDBSession, type DuckDBSessionOptions } from './duckdb-session';
export { batchViewFile, createBatchViewReader, type BatchViewReader, type BatchViewReaderOptions } from './batch-view-reader';
