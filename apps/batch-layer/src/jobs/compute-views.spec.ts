import { describe, expect, it } from 'vitest';
import { masterSourceSql } from './compute-views';
import type { NormalizedInput } from './master-dataset';

const input = (parquet: string, below?: number): NormalizedInput => ({
  kind: 'segment',
  name: parquet,
  parquet,
  meta: { records: 1, valid: 1, rejected: 0, rejectedPositions: [] },
  ...(below === undefined ? {} : { below }),
});

describe('the source of a run', () => {
  it('reads whole inputs at once and the part below the cut of the others', () => {
    const sql = masterSourceSql([input('/a.parquet'), input("/b'c.parquet"), input('/d.parquet', 42)]);
    expect(sql).toBe(
      "(SELECT \"id\", \"type\", \"ts\", \"attrs\", \"nums\" FROM read_parquet(['/a.parquet', '/b''c.parquet'])\n" +
        'UNION ALL\n' +
        "SELECT \"id\", \"type\", \"ts\", \"attrs\", \"nums\" FROM read_parquet('/d.parquet') WHERE src_position < 42)",
    );
  });

  it('is an empty, typed relation when there is nothing to read', () => {
    expect(masterSourceSql([])).toBe(
      '(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS type, NULL::BIGINT AS ts, NULL::MAP(VARCHAR, VARCHAR) AS attrs, NULL::MAP(VARCHAR, DOUBLE) AS nums WHERE false)',
    );
  });
});
