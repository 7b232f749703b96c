import { describe, expect, it } from 'vitest';
import { csvCell, fileFormat, parquetValue, positionLabel } from './file-rows';

describe('inbox file rows', () => {
  it('knows the formats of CONTRACT.md §5 by extension', () => {
    expect(['a.csv', 'b.NDJSON', 'c.jsonl', 'd.json', 'e.parquet', 'f.txt', 'g'].map(fileFormat)).toEqual(['csv', 'ndjson', 'ndjson', 'json', 'parquet', undefined, undefined]);
    expect(positionLabel('ndjson')).toBe('line');
    expect(positionLabel('csv')).toBe('row');
  });

  it('reads CSV cells: empty is null, numbers are numbers, id and type stay text', () => {
    expect(csvCell('amount', '12.5')).toBe(12.5);
    expect(csvCell('amount', '-3')).toBe(-3);
    expect(csvCell('amount', '1e3')).toBe(1000);
    expect(csvCell('amount', '')).toBeNull();
    expect(csvCell('amount', null)).toBeNull();
    expect(csvCell('zip', '0012')).toBe('0012');
    expect(csvCell('x', 'NaN')).toBe('NaN');
    expect(csvCell('x', '1e999')).toBe('1e999');
    expect(csvCell('x', ' 1')).toBe(' 1');
    expect(csvCell('id', '42')).toBe('42');
    expect(csvCell('type', '7')).toBe('7');
    expect(csvCell('ts', '1763892000000')).toBe(1763892000000);
  });

  it('reads Parquet values as event fields', () => {
    expect(parquetValue(5n)).toBe(5);
    expect(parquetValue(2n ** 60n)).toBe('1152921504606846976');
    expect(parquetValue(new Date(Date.UTC(2026, 0, 1)))).toBe(Date.UTC(2026, 0, 1));
    expect(parquetValue('x')).toBe('x');
    expect(parquetValue(null)).toBeNull();
  });
});
