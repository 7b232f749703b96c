import { describe, expect, it } from 'vitest';
import { aggregateEvents } from '../merge/aggregate-events';
import { parseViews } from '../views/parse-views';
import type { ViewDefinition } from '../views/view';
import type { ViewRow } from '../merge/view-row';
import { eventProjection, projectEventsSql, projectionColumns, projectionFingerprint } from './event-projection';
import { hllIndexSql, hllRankSql } from './hll-sql';
import { createNormalizedTableSql, NORMALIZED_EVENT_COLUMNS, readNormalizedJsonSql, toNormalizedRow } from './normalized-table';
import { quoteIdentifier, quoteLiteral } from './quote';
import { decodeStatesRow, encodeStatesRow, stateColumns, stateColumnsSql } from './state-columns';
import { viewStatesSql } from './view-states-sql';

const [view, bare] = parseViews(
  `views:
  - name: payments
    eventTypes: [payment, "it's"]
    granularity: hour
    dimensions: [country, "we'ird \\"dim\\""]
    metrics:
      - { name: n, kind: count }
      - { name: revenue, kind: sum, field: amount }
      - { name: low, kind: min, field: amount }
      - { name: high, kind: max, field: amount }
      - { name: average, kind: avg, field: amount }
      - { name: buyers, kind: distinct, field: user }
      - { name: buyers_again, kind: distinct, field: user }
      - { name: pages, kind: distinct, field: page }
  - name: bare
    eventTypes: [t]
    granularity: day
    metrics: [{ name: n, kind: count }]
`,
  'test.yaml',
) as [ViewDefinition, ViewDefinition];

describe('quoting', () => {
  it('doubles quotes and refuses NUL', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteLiteral("O'Brien\\n")).toBe("'O''Brien\\n'");
    expect(() => quoteLiteral('a\u0000')).toThrow('NUL');
    expect(() => quoteIdentifier('a\u0000')).toThrow('NUL');
  });
});

describe('normalized table', () => {
  it('holds attributes as texts, and numbers also as numbers', () => {
    expect(toNormalizedRow({ id: 'e', type: 't', ts: 5, attrs: { a: 'x', n: 1.5, big: 1e21, b: true, z: null, neg: -0 } })).toEqual({
      id: 'e',
      type: 't',
      ts: 5,
      attrs: { a: 'x', n: '1.5', big: '1e+21', b: 'true', z: null, neg: '0' },
      nums: { n: 1.5, big: 1e21, neg: -0 },
    });
  });

  it('keeps __proto__ as a key', () => {
    const attrs = {};
    Object.defineProperty(attrs, '__proto__', { value: 2, enumerable: true });
    const row = toNormalizedRow({ id: 'e', type: 't', ts: 5, attrs });
    expect(JSON.stringify(row)).toBe('{"id":"e","type":"t","ts":5,"attrs":{"__proto__":"2"},"nums":{"__proto__":2}}');
  });

  it('builds DDL and a typed NDJSON reader', () => {
    expect(createNormalizedTableSql('events')).toBe(
      'CREATE TABLE IF NOT EXISTS "events" (id VARCHAR, type VARCHAR, ts BIGINT, attrs MAP(VARCHAR, VARCHAR), nums MAP(VARCHAR, DOUBLE))',
    );
    expect(readNormalizedJsonSql("'/x.ndjson'")).toBe(
      "read_json('/x.ndjson', format = 'newline_delimited', columns = {id: 'VARCHAR', type: 'VARCHAR', ts: 'BIGINT', attrs: 'MAP(VARCHAR, VARCHAR)', nums: 'MAP(VARCHAR, DOUBLE)'})",
    );
    expect(Object.keys(NORMALIZED_EVENT_COLUMNS)).toEqual(['id', 'type', 'ts', 'attrs', 'nums']);
  });
});

describe('state columns', () => {
  it('names columns positionally for dimensions and by name for metrics', () => {
    expect(stateColumns(view)).toEqual({
      bucket: 'bucket',
      dimensions: ['d0', 'd1'],
      metrics: ['m_n', 'm_revenue', 'm_low', 'm_high', 'm_average', 'm_buyers', 'm_buyers_again', 'm_pages'],
    });
    expect(stateColumnsSql(bare)).toBe('bucket BIGINT, m_n BIGINT');
    expect(stateColumnsSql(view)).toContain('d1 VARCHAR, m_n BIGINT, m_revenue DOUBLE, m_low DOUBLE, m_high DOUBLE, m_average DOUBLE[], m_buyers INTEGER[]');
  });

  it('encodes rows and decodes them back, also from DuckDB-style values', () => {
    const rows = aggregateEvents(view, [
      { id: '1', type: 'payment', ts: 3_600_000 * 5 + 1, attrs: { country: 'DE', amount: 2, user: 'u', page: '/' } },
      { id: '2', type: "it's", ts: 3_600_000 * 5 + 2, attrs: { country: 'DE', amount: 3, user: 'v' } },
    ]);
    const [row] = [...rows.values()];
    const encoded = encodeStatesRow(view, row as ViewRow);
    expect(encoded).toMatchObject({ bucket: 18_000_000, d0: 'DE', d1: null, m_n: 2, m_revenue: 5, m_low: 2, m_high: 3, m_average: [5, 2] });
    const fromDuckDb = { ...encoded, bucket: 18_000_000n, m_n: 2n };
    expect(encodeStatesRow(view, decodeStatesRow(view, fromDuckDb))).toEqual(encoded);
  });

  it.each([
    [{ bucket: 'x' }, 'bucket must be epoch ms (got x)'],
    [{ bucket: 0, d0: 5 }, 'd0 must be a string or null (got number)'],
    [{ bucket: 0 }, 'column m_n (metric "n") is missing'],
    [{ bucket: 0, m_n: -1 }, 'metric "n" (m_n): a count must be a non-negative integer'],
  ])('refuses malformed rows: %j', (record, message) => {
    expect(() => decodeStatesRow(view, record)).toThrow(message);
  });
});

describe('viewStatesSql', () => {
  const sql = viewStatesSql(view, { source: 'events' });

  it('filters types, dedups by id, and quotes every name and value', () => {
    expect(sql).toContain(`WHERE type IN ('payment', 'it''s')`);
    expect(sql).toContain('QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts) = 1');
    expect(sql).toContain(`attrs['we''ird "dim"'] AS d1`);
    expect(sql).toContain('ts - ((ts % 3600000) + 3600000) % 3600000 AS bucket');
    expect(sql).toContain('[coalesce(sum(n0), 0), count(n0)]::DOUBLE[] AS "m_average"');
  });

  it('hashes each distinct field once and aggregates its registers in the same GROUP BY', () => {
    expect(sql.match(/md5_number_upper/g)).toHaveLength(2);
    expect(sql).toContain('list(h0) FILTER (WHERE h0 IS NOT NULL) AS l0');
    // Lists longer than 4 096 entries are sorted and folded; shorter ones stored as aggregated.
    expect(sql).toContain('CASE WHEN len(l0) > 4096 THEN list_sort(l0) ELSE l0 END AS l0');
    expect(sql).toContain('coalesce(CASE WHEN len(l0) > 4096 THEN list_filter(l0, lambda trb_x, trb_i: trb_i = len(l0) OR l0[trb_i + 1] // 64 <> trb_x // 64) ELSE l0 END, []::INTEGER[]) AS "m_buyers_again"');
    expect(sql).toContain('ELSE l1 END, []::INTEGER[]) AS "m_pages"');
    const [single] = parseViews('views: [{ name: s, eventTypes: [t], granularity: day, metrics: [{ name: u, kind: distinct, field: user }] }]', 'inline.yaml');
    expect(viewStatesSql(single as ViewDefinition, { source: 'events', registersFirst: true })).not.toContain('list_sort');
    expect(sql.match(/GROUP BY/g)).toHaveLength(1);
    expect(sql).not.toContain('JOIN');
    expect(sql).toMatch(/ORDER BY bucket ASC NULLS LAST, d0 ASC NULLS LAST, d1 ASC NULLS LAST$/);
  });

  it('reads projected columns instead of maps and hashes when given a projection', () => {
    const projection = eventProjection([view, bare]);
    expect(projection).toEqual({ texts: ['country', 'page', 'user', 'we\'ird "dim"'], numbers: ['amount'], registers: ['page', 'user'] });
    expect(projectionColumns(projection)).toEqual({ id_hash: 'UBIGINT', pa0: 'VARCHAR', pa1: 'VARCHAR', pa2: 'VARCHAR', pa3: 'VARCHAR', pn0: 'DOUBLE', pr0: 'INTEGER', pr1: 'INTEGER' });
    const projected = viewStatesSql(view, { source: 'events', projection, dedupById: false });
    expect(projected).not.toContain('md5_number_upper');
    expect(projected).not.toMatch(/attrs|nums/);
    expect(projected).toContain('SELECT ts, pa0, pa3, pn0, pr1, pr0 FROM events');
    expect(projected).toContain('pa3 AS d1');
    expect(projected).toContain('pr1 AS h0');
    expect(() => viewStatesSql(view, { source: 'events', projection: eventProjection([bare]) })).toThrow('view "payments": the projection has no column for field "country"');
    const select = projectEventsSql('events', projection, 'type, ts');
    expect(select).toMatch(/^SELECT \* EXCLUDE \(trb_h0, trb_h1\), \(\(trb_h0 & 16383\) \* 64 \+ \(CASE /);
    expect(select).toContain("md5_number_upper(id) AS id_hash, attrs['country'] AS pa0");
    expect(select).toContain("attrs['we''ird \"dim\"'] AS pa3, nums['amount'] AS pn0, md5_number_upper(attrs['page']) AS trb_h0");
    expect(select).toMatch(/AS pr1 FROM \(SELECT \*, .* FROM events\) ORDER BY type, ts$/);
    expect(projectionFingerprint(projection)).toBe(projectionFingerprint(eventProjection([bare, view])));
  });

  it('can skip dedup and ordering; works without dimensions', () => {
    const plain = viewStatesSql(bare, { source: 'read_parquet($1)', dedupById: false, orderBy: false });
    expect(plain).not.toContain('QUALIFY');
    expect(plain).not.toContain('ORDER BY');
    expect(plain).toContain('FROM read_parquet($1)');
    expect(plain).toContain('GROUP BY bucket\n');
    expect(plain).toContain("WHERE type IN ('t')");
    expect(viewStatesSql(bare, { source: 'events', dedupById: false, onlyItsTypes: true })).not.toContain('WHERE type IN');
  });

  it('ranks with an integer CASE ladder from 2^63 down to 2^14', () => {
    const rank = hllRankSql('h');
    expect(rank.startsWith('(CASE WHEN h >= 9223372036854775808::UBIGINT THEN 1 ')).toBe(true);
    expect(rank.endsWith('WHEN h >= 16384::UBIGINT THEN 50 ELSE 51 END)')).toBe(true);
    expect(hllIndexSql('h')).toBe('(h & 16383)');
  });
});
