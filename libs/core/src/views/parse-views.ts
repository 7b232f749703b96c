import { parseDocument } from 'yaml';
import { GRANULARITIES, isGranularity } from '../buckets/granularity';
import { ViewsConfigError } from '../errors';
import { MAX_TYPE_LENGTH } from '../events/event';
import {
  MAX_DIMENSIONS,
  METRIC_KINDS,
  type MetricDefinition,
  type MetricKind,
  RESERVED_FIELDS,
  VIEW_NAME_PATTERN,
  type ViewDefinition,
} from './view';

const VIEW_KEYS = ['name', 'eventTypes', 'granularity', 'dimensions', 'metrics'];
const METRIC_KEYS = ['name', 'kind', 'field'];

type Report = (path: string, problem: string) => void;

/**
 * Parses a views file (YAML, or JSON, which YAML 1.2 reads too) and validates it (CONTRACT.md §2).
 * Throws a ViewsConfigError listing EVERY problem, each as
 * `<source>: views[<i>] "<name>": <field>: <problem>`. `count` takes no `field` (it counts events;
 * a field there would suggest SQL's count(field), which is not what it does), so one is an error.
 * Returned definitions are deeply frozen; `dimensions` defaults to [].
 */
export function parseViews(text: string, source: string): ViewDefinition[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return `${source}: syntax error${where}: ${message}`;
    });
    throw new ViewsConfigError(source, problems);
  }
  return validateViews(doc.toJS(), source);
}

/** Validates an already-parsed views document (`{ views: [...] }`); see `parseViews`. */
export function validateViews(doc: unknown, source: string): ViewDefinition[] {
  const problems: string[] = [];
  if (!isRecord(doc)) {
    throw new ViewsConfigError(source, [`${source}: must be a mapping with a "views" list (got ${kind(doc)})`]);
  }
  for (const key of Object.keys(doc)) {
    if (key !== 'views') problems.push(`${source}: unknown key "${key}" at the top level (only "views" is allowed)`);
  }
  const list = doc['views'];
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${source}: views must be a non-empty list of view definitions (got ${kind(list)})`);
    throw new ViewsConfigError(source, problems);
  }
  const views: ViewDefinition[] = [];
  const firstIndexByName = new Map<string, number>();
  list.forEach((raw: unknown, i) => {
    const name = isRecord(raw) && typeof raw['name'] === 'string' ? raw['name'] : undefined;
    const where = `${source}: views[${i}]${name !== undefined ? ` ${JSON.stringify(name)}` : ''}`;
    const report: Report = (path, problem) => problems.push(`${where}: ${path}${path ? ' ' : ''}${problem}`);
    const view = validateView(raw, report);
    if (name !== undefined && VIEW_NAME_PATTERN.test(name)) {
      const first = firstIndexByName.get(name);
      if (first !== undefined) report('name', `is already used by views[${first}]; view names must be unique`);
      else firstIndexByName.set(name, i);
    }
    if (view !== undefined) views.push(view);
  });
  if (problems.length > 0) throw new ViewsConfigError(source, problems);
  return views;
}

function validateView(raw: unknown, report: Report): ViewDefinition | undefined {
  if (!isRecord(raw)) {
    report('', `must be a mapping with name, eventTypes, granularity, dimensions and metrics (got ${kind(raw)})`);
    return undefined;
  }
  let ok = true;
  const fail: Report = (path, problem) => {
    ok = false;
    report(path, problem);
  };
  unknownKeys(raw, VIEW_KEYS, '', fail);

  const name = raw['name'];
  if (typeof name !== 'string' || !VIEW_NAME_PATTERN.test(name)) {
    fail('name', `${name === undefined ? 'is required' : `${JSON.stringify(name)} is invalid`}: use 1 to 63 lowercase letters, digits and "_", starting with a letter`);
  }
  const eventTypes = stringList(raw['eventTypes'], 'eventTypes', fail, { min: 1, max: Infinity, maxLength: MAX_TYPE_LENGTH });
  const granularity = raw['granularity'];
  if (!isGranularity(granularity)) {
    fail('granularity', `${granularity === undefined ? 'is required' : `${JSON.stringify(granularity)} is invalid`}: use one of ${GRANULARITIES.join(', ')}`);
  }
  const dimensions =
    raw['dimensions'] === undefined ? [] : stringList(raw['dimensions'], 'dimensions', fail, { min: 0, max: MAX_DIMENSIONS, reserved: true });

  const metrics: MetricDefinition[] = [];
  const rawMetrics = raw['metrics'];
  if (!Array.isArray(rawMetrics) || rawMetrics.length === 0) {
    fail('metrics', `must be a non-empty list of { name, kind, field } (got ${kind(rawMetrics)})`);
  } else {
    const seen = new Map<string, number>();
    rawMetrics.forEach((m: unknown, j) => {
      const metric = validateMetric(m, `metrics[${j}]`, fail);
      const metricName = isRecord(m) ? m['name'] : undefined;
      if (typeof metricName === 'string' && VIEW_NAME_PATTERN.test(metricName)) {
        const first = seen.get(metricName);
        if (first !== undefined) fail(`metrics[${j}].name`, `"${metricName}" is already used by metrics[${first}]; metric names must be unique within a view`);
        else seen.set(metricName, j);
      }
      if (metric !== undefined) metrics.push(metric);
    });
  }
  if (!ok || eventTypes === undefined || dimensions === undefined) return undefined;
  return Object.freeze({
    name: name as string,
    eventTypes: Object.freeze(eventTypes),
    granularity: granularity as ViewDefinition['granularity'],
    dimensions: Object.freeze(dimensions),
    metrics: Object.freeze(metrics),
  });
}

function validateMetric(raw: unknown, path: string, fail: Report): MetricDefinition | undefined {
  if (!isRecord(raw)) {
    fail(path, `must be a mapping { name, kind, field } (got ${kind(raw)})`);
    return undefined;
  }
  let ok = true;
  const report: Report = (p, problem) => {
    ok = false;
    fail(p, problem);
  };
  unknownKeys(raw, METRIC_KEYS, `${path}.`, report);
  const name = raw['name'];
  if (typeof name !== 'string' || !VIEW_NAME_PATTERN.test(name)) {
    report(`${path}.name`, `${name === undefined ? 'is required' : `${JSON.stringify(name)} is invalid`}: use 1 to 63 lowercase letters, digits and "_", starting with a letter`);
  }
  const metricKind = raw['kind'];
  const isKind = typeof metricKind === 'string' && (METRIC_KINDS as readonly string[]).includes(metricKind);
  if (!isKind) {
    report(`${path}.kind`, `${metricKind === undefined ? 'is required' : `${JSON.stringify(metricKind)} is invalid`}: use one of ${METRIC_KINDS.join(', ')}`);
  }
  const field = raw['field'];
  if (isKind && metricKind === 'count') {
    if (field !== undefined) report(`${path}.field`, 'is not allowed for kind "count", which counts events; remove it (or use kind "distinct" to count values)');
  } else if (isKind) {
    if (field === undefined) report(`${path}.field`, `is required for kind "${metricKind}": name the attribute to aggregate`);
    else if (typeof field !== 'string' || field.length === 0) report(`${path}.field`, `must be a non-empty attribute name (got ${kind(field)})`);
    else if (RESERVED_FIELDS.has(field)) report(`${path}.field`, `"${field}" is not an attribute (id, type and ts cannot be aggregated); name an attribute`);
  }
  if (!ok) return undefined;
  const metric: MetricDefinition =
    metricKind === 'count'
      ? { name: name as string, kind: 'count' }
      : { name: name as string, kind: metricKind as MetricKind, field: field as string };
  return Object.freeze(metric);
}

function stringList(
  raw: unknown,
  path: string,
  fail: Report,
  rules: { min: number; max: number; maxLength?: number; reserved?: boolean },
): string[] | undefined {
  const what = rules.reserved ? 'attribute name' : 'event type';
  if (!Array.isArray(raw)) {
    fail(path, `${raw === undefined ? 'is required' : `must be a list (got ${kind(raw)})`}: write e.g. [${rules.reserved ? 'country, method' : 'payment'}]`);
    return undefined;
  }
  let ok = true;
  if (raw.length < rules.min) {
    ok = false;
    fail(path, `must list at least one ${what}`);
  }
  if (raw.length > rules.max) {
    ok = false;
    fail(path, `lists ${raw.length} ${what}s; at most ${rules.max} are allowed`);
  }
  const seen = new Set<string>();
  raw.forEach((item: unknown, k) => {
    const at = `${path}[${k}]`;
    if (typeof item !== 'string' || item.length === 0) {
      ok = false;
      fail(at, `must be a non-empty string (got ${kind(item)})`);
    } else if (rules.maxLength !== undefined && item.length > rules.maxLength) {
      ok = false;
      fail(at, `is longer than ${rules.maxLength} characters`);
    } else if (rules.reserved && RESERVED_FIELDS.has(item)) {
      ok = false;
      fail(at, `"${item}" is not an attribute (id, type and ts cannot be dimensions); name an attribute`);
    } else if (seen.has(item)) {
      ok = false;
      fail(at, `"${item}" is listed twice`);
    } else {
      seen.add(item);
    }
  });
  return ok ? (raw as string[]).slice() : undefined;
}

function unknownKeys(raw: Record<string, unknown>, allowed: readonly string[], prefix: string, fail: Report): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) fail(`${prefix}${key}`, `is not a known key; allowed: ${allowed.join(', ')}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
