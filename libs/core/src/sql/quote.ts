/** A DuckDB identifier, double-quoted (inner quotes doubled): safe for any name. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new TypeError('an SQL identifier cannot contain NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB string literal, single-quoted (inner quotes doubled; DuckDB treats backslashes literally). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new TypeError('an SQL string literal cannot contain NUL');
  return `'${value.replaceAll("'", "''")}'`;
}
