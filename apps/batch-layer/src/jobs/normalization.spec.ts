import { parseViews } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { normalizationKey, readNormalizedNdjsonSql, sameValidity } from './normalization';

const views = (yaml: string) => parseViews(yaml, 'inline.yaml');
const base = 'views: [{ name: a, eventTypes: [pay], granularity: minute, metrics: [{ name: n, kind: count }, { name: s, kind: sum, field: amount }] }]';

describe('normalization key', () => {
  it('is stable for the same validity rules and changes with them', () => {
    const key = normalizationKey(views(base), 1000);
    expect(key).toMatch(/^n4-[0-9a-f]{12}-[0-9a-f]{12}$/);
    expect(normalizationKey(views(base.replace('name: n,', 'name: total,')), 1000)).toBe(key); // names do not matter
    expect(normalizationKey(views(base), 2000)).not.toBe(key);
    expect(normalizationKey(views(base.replace('field: amount', 'field: price')), 1000)).not.toBe(key);
    expect(normalizationKey(views(base.replace('[pay]', '[pay, refund]')), 1000)).not.toBe(key);
  });

  it('changes with the fields the views read (their projected columns), not with the rest', () => {
    const distinct = base.replace('{ name: n, kind: count }', '{ name: n, kind: distinct, field: user }');
    const key = normalizationKey(views(distinct), 1000);
    expect(key).not.toBe(normalizationKey(views(base), 1000));
    expect(normalizationKey(views(distinct.replace('granularity: minute', 'granularity: minute, dimensions: [country]')), 1000)).not.toBe(key);
    expect(normalizationKey(views(distinct.replace('granularity: minute', 'granularity: hour')), 1000)).toBe(key);
  });

  it('tells keys that differ only in the projected columns (a cache to derive from) from the others', () => {
    const key = normalizationKey(views(base), 1000);
    const withDimension = normalizationKey(views(base.replace('granularity: minute', 'granularity: minute, dimensions: [country]')), 1000);
    expect(sameValidity(withDimension, key)).toBe(true);
    expect(sameValidity(key, key)).toBe(false);
    expect(sameValidity(key, normalizationKey(views(base), 2000))).toBe(false);
    expect(sameValidity(key, normalizationKey(views(base.replace('field: amount', 'field: price')), 1000))).toBe(false);
    expect(sameValidity(key, 'n4-0123456789abcdef')).toBe(false); // the former one-part form
  });

  it('reads normalized NDJSON with typed columns and the position', () => {
    expect(readNormalizedNdjsonSql("'x.ndjson'")).toBe(
      "read_json('x.ndjson', format = 'newline_delimited', columns = {id: 'VARCHAR', type: 'VARCHAR', ts: 'BIGINT', attrs: 'MAP(VARCHAR, VARCHAR)', nums: 'MAP(VARCHAR, DOUBLE)', src_position: 'BIGINT'})",
    );
  });
});
