import { describe, expect, it } from 'vitest';
import { ViewsConfigError } from '../errors';
import { findView } from './find-view';
import { parseViews, validateViews } from './parse-views';
import { type ViewDefinition, viewFingerprint } from './view';

const good = `views:
  - name: payments_by_country
    eventTypes: [payment]
    granularity: minute
    dimensions: [country, method]
    metrics:
      - { name: payments, kind: count }
      - { name: revenue,  kind: sum,      field: amount }
      - { name: smallest, kind: min,      field: amount }
      - { name: largest,  kind: max,      field: amount }
      - { name: average,  kind: avg,      field: amount }
      - { name: buyers,   kind: distinct, field: user_id }
  - name: totals
    eventTypes: [payment, refund]
    granularity: day
    metrics: [{ name: n, kind: count }]
`;

function problemsOf(text: string, source = 'config/views.yaml'): readonly string[] {
  try {
    parseViews(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ViewsConfigError);
    const e = error as ViewsConfigError;
    expect(e.code).toBe('TRB_VIEWS_INVALID');
    expect(e.source).toBe(source);
    for (const p of e.problems) expect(e.message).toContain(p);
    return e.problems;
  }
  throw new Error('expected a ViewsConfigError');
}

const oneView = (view: string): string => `views:\n  - ${view}\n`;
const valid = 'name: v, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }]';

describe('parseViews', () => {
  it('reads the contract example (YAML), frozen, with dimensions defaulting to []', () => {
    const views = parseViews(good, 'config/views.yaml');
    expect(views).toEqual([
      {
        name: 'payments_by_country',
        eventTypes: ['payment'],
        granularity: 'minute',
        dimensions: ['country', 'method'],
        metrics: [
          { name: 'payments', kind: 'count' },
          { name: 'revenue', kind: 'sum', field: 'amount' },
          { name: 'smallest', kind: 'min', field: 'amount' },
          { name: 'largest', kind: 'max', field: 'amount' },
          { name: 'average', kind: 'avg', field: 'amount' },
          { name: 'buyers', kind: 'distinct', field: 'user_id' },
        ],
      },
      { name: 'totals', eventTypes: ['payment', 'refund'], granularity: 'day', dimensions: [], metrics: [{ name: 'n', kind: 'count' }] },
    ]);
    expect(Object.isFrozen(views[0])).toBe(true);
    expect(Object.isFrozen(views[0]?.metrics)).toBe(true);
    expect(Object.isFrozen(views[0]?.metrics[1])).toBe(true);
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({ views: [{ name: 'v', eventTypes: ['t'], granularity: 'hour', dimensions: ['a'], metrics: [{ name: 'u', kind: 'distinct', field: 'x' }] }] });
    expect(parseViews(json, 'views.json')[0]?.metrics[0]).toEqual({ name: 'u', kind: 'distinct', field: 'x' });
  });

  it('accepts 8 dimensions and a 63-character name', () => {
    const name = `a${'b'.repeat(62)}`;
    const views = parseViews(oneView(`{ name: ${name}, eventTypes: [t], granularity: day, dimensions: [a, b, c, d, e, f, g, h], metrics: [{ name: c, kind: count }] }`), 'v.yaml');
    expect(views[0]?.dimensions).toHaveLength(8);
  });

  it.each([
    ['a syntax error, with its line', 'views:\n  - name: [oops\n', 'config/views.yaml: syntax error at line'],
    ['duplicate keys', 'views: []\nviews: []\n', 'syntax error at line 2, column 1: Map keys must be unique'],
    ['not a mapping', '- 1\n', 'config/views.yaml: must be a mapping with a "views" list (got a list)'],
    ['empty file', '', 'must be a mapping with a "views" list (got null)'],
    ['no views', 'other: 1\n', 'config/views.yaml: views must be a non-empty list of view definitions (got nothing)'],
    ['empty views', 'views: []\n', 'views must be a non-empty list'],
    ['unknown top-level key', `views:\n  - { ${valid} }\nextra: 1\n`, 'config/views.yaml: unknown key "extra" at the top level (only "views" is allowed)'],
    ['a view that is not a mapping', 'views: [3]\n', 'config/views.yaml: views[0]: must be a mapping with name, eventTypes, granularity, dimensions and metrics (got number 3)'],
    ['no name', oneView('{ eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'views[0]: name is required: use 1 to 63 lowercase letters'],
    ['bad name', oneView('{ name: Payments, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'views[0] "Payments": name "Payments" is invalid'],
    ['long name', oneView(`{ name: a${'b'.repeat(63)}, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }] }`), 'is invalid'],
    ['non-string name', oneView('{ name: 5, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'views[0]: name 5 is invalid'],
    ['unknown view key', oneView(`{ ${valid}, filter: x }`), 'views[0] "v": filter is not a known key; allowed: name, eventTypes, granularity, dimensions, metrics'],
    ['no eventTypes', oneView('{ name: v, granularity: minute, metrics: [{ name: c, kind: count }] }'), 'views[0] "v": eventTypes is required: write e.g. [payment]'],
    ['eventTypes not a list', oneView('{ name: v, eventTypes: payment, granularity: minute, metrics: [{ name: c, kind: count }] }'), 'eventTypes must be a list (got string "payment")'],
    ['empty eventTypes', oneView('{ name: v, eventTypes: [], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'eventTypes must list at least one event type'],
    ['empty event type', oneView('{ name: v, eventTypes: [""], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'eventTypes[0] must be a non-empty string (got string "")'],
    ['long event type', oneView(`{ name: v, eventTypes: [${'t'.repeat(65)}], granularity: minute, metrics: [{ name: c, kind: count }] }`), 'eventTypes[0] is longer than 64 characters'],
    ['repeated event type', oneView('{ name: v, eventTypes: [a, a], granularity: minute, metrics: [{ name: c, kind: count }] }'), 'eventTypes[1] "a" is listed twice'],
    ['no granularity', oneView('{ name: v, eventTypes: [t], metrics: [{ name: c, kind: count }] }'), 'granularity is required: use one of minute, hour, day'],
    ['bad granularity', oneView('{ name: v, eventTypes: [t], granularity: week, metrics: [{ name: c, kind: count }] }'), 'views[0] "v": granularity "week" is invalid: use one of minute, hour, day'],
    ['9 dimensions', oneView(`{ ${valid}, dimensions: [a, b, c, d, e, f, g, h, i] }`), 'dimensions lists 9 attribute names; at most 8 are allowed'],
    ['dimension id', oneView(`{ ${valid}, dimensions: [id] }`), 'dimensions[0] "id" is not an attribute (id, type and ts cannot be dimensions); name an attribute'],
    ['dimension type', oneView(`{ ${valid}, dimensions: [type] }`), 'dimensions[0] "type" is not an attribute'],
    ['repeated dimension', oneView(`{ ${valid}, dimensions: [a, a] }`), 'dimensions[1] "a" is listed twice'],
    ['dimensions not a list', oneView(`{ ${valid}, dimensions: a }`), 'dimensions must be a list (got string "a"): write e.g. [country, method]'],
    ['no metrics', oneView('{ name: v, eventTypes: [t], granularity: minute }'), 'metrics must be a non-empty list of { name, kind, field } (got nothing)'],
    ['empty metrics', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [] }'), 'metrics must be a non-empty list'],
    ['metric not a mapping', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [count] }'), 'metrics[0] must be a mapping { name, kind, field } (got string "count")'],
    ['sum without field', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: s, kind: sum }] }'), 'config/views.yaml: views[0] "v": metrics[0].field is required for kind "sum": name the attribute to aggregate'],
    ['count with field', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count, field: x }] }'), 'metrics[0].field is not allowed for kind "count", which counts events; remove it'],
    ['empty field', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: s, kind: max, field: "" }] }'), 'metrics[0].field must be a non-empty attribute name (got string "")'],
    ['field ts', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: s, kind: max, field: ts }] }'), 'metrics[0].field "ts" is not an attribute (id, type and ts cannot be aggregated)'],
    ['unknown kind', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: s, kind: median, field: x }] }'), 'metrics[0].kind "median" is invalid: use one of count, sum, min, max, avg, distinct'],
    ['no kind', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: s }] }'), 'metrics[0].kind is required'],
    ['bad metric name', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: Total, kind: count }] }'), 'metrics[0].name "Total" is invalid'],
    ['no metric name', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ kind: count }] }'), 'metrics[0].name is required'],
    ['repeated metric name', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count }, { name: c, kind: sum, field: x }] }'), 'metrics[1].name "c" is already used by metrics[0]; metric names must be unique within a view'],
    ['unknown metric key', oneView('{ name: v, eventTypes: [t], granularity: minute, metrics: [{ name: c, kind: count, as: x }] }'), 'metrics[0].as is not a known key; allowed: name, kind, field'],
    ['repeated view name', `views:\n  - { ${valid} }\n  - { ${valid} }\n`, 'config/views.yaml: views[1] "v": name is already used by views[0]; view names must be unique'],
  ])('reports %s', (_, text, problem) => {
    const problems = problemsOf(text);
    expect(problems.some((p) => p.includes(problem)), `${problems.join('\n')}\n  should include: ${problem}`).toBe(true);
  });

  it('reports every problem of every view, each with file, view and field', () => {
    const problems = problemsOf(
      'views:\n' +
        '  - { name: a, eventTypes: [], granularity: week, metrics: [{ name: s, kind: sum }] }\n' +
        '  - { name: b, eventTypes: [t], granularity: day, dimensions: [ts], metrics: [{ name: c, kind: count }, { name: d, kind: avg }] }\n',
    );
    expect(problems).toEqual([
      'config/views.yaml: views[0] "a": eventTypes must list at least one event type',
      'config/views.yaml: views[0] "a": granularity "week" is invalid: use one of minute, hour, day',
      'config/views.yaml: views[0] "a": metrics[0].field is required for kind "sum": name the attribute to aggregate',
      'config/views.yaml: views[1] "b": dimensions[0] "ts" is not an attribute (id, type and ts cannot be dimensions); name an attribute',
      'config/views.yaml: views[1] "b": metrics[1].field is required for kind "avg": name the attribute to aggregate',
    ]);
  });

  it('validates an already-parsed document too', () => {
    expect(() => validateViews(null, 'env')).toThrow('env: must be a mapping with a "views" list (got null)');
  });
});

describe('findView', () => {
  const views = parseViews(good, 'v.yaml');
  it('finds a view by name', () => {
    expect(findView(views, 'totals').name).toBe('totals');
  });
  it('throws TRB_VIEW_NOT_FOUND (404) naming the known views', () => {
    expect(() => findView(views, 'nope')).toThrow('View "nope" does not exist; known views: "payments_by_country", "totals"');
    expect(() => findView([], 'nope')).toThrow(expect.objectContaining({ code: 'TRB_VIEW_NOT_FOUND', statusCode: 404, retriable: false }));
    expect(() => findView([], 'nope')).toThrow('known views: (none)');
  });
});

describe('viewFingerprint', () => {
  it('changes when the definition changes and not otherwise', () => {
    const first = (text: string, source: string) => parseViews(text, source)[0] as ViewDefinition;
    const a = first(good, 'v.yaml');
    const b = first(good.replace('[country, method]', '[method, country]'), 'v.yaml');
    const c = first(good, 'other.yaml');
    expect(viewFingerprint(a)).toBe(viewFingerprint(c));
    expect(viewFingerprint(a)).not.toBe(viewFingerprint(b));
  });
});
