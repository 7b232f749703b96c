import { eventProjection, parseViews } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { manyEventsPerGroup, masterSourceSql, onlyItsTypes } from './compute-views';
import type { NormalizedInput } from './master-dataset';

const input = (parquet: string, below?: number): NormalizedInput => ({
  kind: 'segment',
  name: parquet,
  parquet,
  meta: { records: 1, valid: 1, rejected: 0, rejectedPositions: [] },
  ...(below === undefined ? {} : { below }),
});

describe('the source of a run', () => {
  const projection = eventProjection(parseViews('views: [{ name: v, eventTypes: [t], granularity: day, dimensions: [c], metrics: [{ name: u, kind: distinct, field: user }] }]', 'inline.yaml'));
  const columns = '"id", "type", "ts", "id_hash", "pa0", "pa1", "pr0", filename, file_row_number';

  it('reads the projected columns of whole inputs at once and the part below the cut of the others', () => {
    const sql = masterSourceSql([input('/a.parquet'), input("/b'c.parquet"), input('/d.parquet', 42)], projection);
    expect(sql).toBe(
      `(SELECT ${columns} FROM read_parquet(['/a.parquet', '/b''c.parquet'], filename = true, file_row_number = true)\n` +
        'UNION ALL\n' +
        `SELECT ${columns} FROM read_parquet('/d.parquet', filename = true, file_row_number = true) WHERE src_position < 42)`,
    );
  });

  it('leaves out file and row when the views need no row identity', () => {
    const sql = masterSourceSql([input('/a.parquet'), input('/d.parquet', 42)], projection, { rowIds: false });
    const plain = '"id", "type", "ts", "id_hash", "pa0", "pa1", "pr0"';
    expect(sql).toBe(`(SELECT ${plain} FROM read_parquet(['/a.parquet'])\nUNION ALL\nSELECT ${plain} FROM read_parquet('/d.parquet') WHERE src_position < 42)`);
  });

  it('is an empty, typed relation when there is nothing to read', () => {
    expect(masterSourceSql([], projection)).toBe(
      '(SELECT NULL::VARCHAR AS "id", NULL::VARCHAR AS "type", NULL::BIGINT AS "ts", NULL::UBIGINT AS "id_hash", NULL::VARCHAR AS "pa0", NULL::VARCHAR AS "pa1", NULL::INTEGER AS "pr0", NULL::VARCHAR AS "filename", NULL::BIGINT AS "file_row_number" WHERE false)',
    );
  });
});

describe('manyEventsPerGroup', () => {
  const [view] = parseViews('views: [{ name: v, eventTypes: [a, b], granularity: hour, metrics: [{ name: u, kind: distinct, field: user }] }]', 'inline.yaml');
  const v = view as Parameters<typeof manyEventsPerGroup>[0];

  it('aggregates registers first when the groups of the published version held ≥ 16 384 events of the view types each', () => {
    expect(manyEventsPerGroup(v, { eventsByType: { a: 20_000_000, b: 500_000, c: 1e9 }, previousRows: { v: 1_000 } })).toBe(true);
    expect(manyEventsPerGroup(v, { eventsByType: { a: 10_000_000, b: 0, c: 1e9 }, previousRows: { v: 1_000 } })).toBe(false);
  });

  it('does not without sizes', () => {
    expect(manyEventsPerGroup(v, {})).toBe(false);
    expect(manyEventsPerGroup(v, { eventsByType: { a: 1e9 } })).toBe(false);
    expect(manyEventsPerGroup(v, { eventsByType: { a: 1e9 }, previousRows: { v: 0 } })).toBe(false);
  });
});

describe('onlyItsTypes', () => {
  const [view] = parseViews('views: [{ name: v, eventTypes: [a, b], granularity: hour, metrics: [{ name: n, kind: count }] }]', 'inline.yaml');
  const v = view as Parameters<typeof onlyItsTypes>[0];

  it('is true only when the run holds no event of another type', () => {
    expect(onlyItsTypes(v, { eventsByType: { a: 5, b: 0 } })).toBe(true);
    expect(onlyItsTypes(v, { eventsByType: { a: 5, c: 0 } })).toBe(true);
    expect(onlyItsTypes(v, { eventsByType: { a: 5, c: 1 } })).toBe(false);
    expect(onlyItsTypes(v, {})).toBe(false);
  });
});
