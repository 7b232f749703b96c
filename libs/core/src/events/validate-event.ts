import { setOwn } from '../own';
import { NUMERIC_METRIC_KINDS, type MetricKind, type ViewDefinition } from '../views/view';
import { type AttributeValue, type ValidationResult, MAX_ID_LENGTH, MAX_TYPE_LENGTH } from './event';
import { describeType, parseTime } from './parse-time';

/** A field that must be a finite number (when present and non-null) in events of some type. */
export interface MetricFieldRule {
  readonly field: string;
  readonly view: string;
  readonly kind: MetricKind;
}

/** Event type → the numeric metric fields of the views selecting it. */
export type MetricFieldsByType = ReadonlyMap<string, readonly MetricFieldRule[]>;

export interface EventValidationContext {
  /** When the event was received (Kafka message timestamp, HTTP request time, batch run time). */
  readonly receivedAt: number;
  readonly maxFutureSkewMs: number;
  /** From `metricFieldsByType(views)`; without it no metric field is checked. */
  readonly metricFieldsByType?: MetricFieldsByType;
}

/** Computes, once, which fields every event type must carry as finite numbers. */
export function metricFieldsByType(views: readonly ViewDefinition[]): MetricFieldsByType {
  const byType = new Map<string, MetricFieldRule[]>();
  for (const view of views) {
    for (const metric of view.metrics) {
      if (!NUMERIC_METRIC_KINDS.has(metric.kind) || metric.field === undefined) continue;
      for (const type of view.eventTypes) {
        const rules = byType.get(type) ?? [];
        if (!rules.some((r) => r.field === metric.field)) rules.push({ field: metric.field, view: view.name, kind: metric.kind });
        byType.set(type, rules);
      }
    }
  }
  return byType;
}

const EMPTY_RULES: readonly MetricFieldRule[] = [];

/**
 * Validates one already-parsed event (CONTRACT.md §1) and normalizes it. A rejection's `reason`
 * lists every problem as `field: what is wrong and how to fix it`, separated by "; ".
 */
export function validateEvent(raw: unknown, ctx: EventValidationContext): ValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: `event must be a JSON object with id, type and ts (got ${describeType(raw)})` };
  }
  const obj = raw as Record<string, unknown>;
  let problems: string[] | undefined;

  const id = obj['id'];
  if (typeof id !== 'string' || id.length === 0 || (id.length > MAX_ID_LENGTH && codePoints(id) > MAX_ID_LENGTH)) {
    (problems ??= []).push(`id: ${lengthProblem(id, MAX_ID_LENGTH)}`);
  }
  const type = obj['type'];
  if (typeof type !== 'string' || type.length === 0 || (type.length > MAX_TYPE_LENGTH && codePoints(type) > MAX_TYPE_LENGTH)) {
    (problems ??= []).push(`type: ${lengthProblem(type, MAX_TYPE_LENGTH)}`);
  }
  const rawTs = obj['ts'];
  let ts = 0;
  if (rawTs === undefined) {
    (problems ??= []).push('ts: is required (ISO-8601 with offset, e.g. 2026-11-23T10:15:30.123Z, or epoch milliseconds)');
  } else {
    const parsed = parseTime(rawTs);
    if (typeof parsed === 'string') {
      (problems ??= []).push(`ts: ${parsed}`);
    } else if (parsed - ctx.receivedAt > ctx.maxFutureSkewMs) {
      (problems ??= []).push(
        `ts: ${new Date(parsed).toISOString()} is ${parsed - ctx.receivedAt} ms ahead of the time it was received ` +
          `(${new Date(ctx.receivedAt).toISOString()}); at most ${ctx.maxFutureSkewMs} ms is allowed — check the producer's clock`,
      );
    } else {
      ts = parsed;
    }
  }

  const attrs: Record<string, AttributeValue> = {};
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === 'id' || key === 'type' || key === 'ts') continue;
    const value = obj[key];
    if (typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value))) {
      if (key === '__proto__') setOwn(attrs, key, value);
      else attrs[key] = value;
    } else if (typeof value === 'number') {
      (problems ??= []).push(`${label(key)}: must be a finite number (got ${value})`);
    } else if (value !== undefined) {
      (problems ??= []).push(`${label(key)}: attributes must be a string, number, boolean or null (got ${describeType(value)}); flatten it`);
    }
  }

  if (typeof type === 'string' && ctx.metricFieldsByType !== undefined) {
    for (const rule of ctx.metricFieldsByType.get(type) ?? EMPTY_RULES) {
      const value = attrs[rule.field];
      if (value !== undefined && value !== null && typeof value !== 'number') {
        (problems ??= []).push(
          `${label(rule.field)}: must be a finite number or null, because view "${rule.view}" computes ${rule.kind} of it ` +
            `for "${type}" events (got ${describeType(value)})`,
        );
      }
    }
  }

  if (problems !== undefined) return { ok: false, reason: problems.join('; ') };
  return { ok: true, event: { id: id as string, type: type as string, ts, attrs } };
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function lengthProblem(value: unknown, max: number): string {
  if (value === undefined) return `is required (a string of 1 to ${max} characters)`;
  if (typeof value !== 'string') return `must be a string of 1 to ${max} characters (got ${describeType(value)})`;
  if (value.length === 0) return `must not be empty (1 to ${max} characters)`;
  return `is ${codePoints(value)} characters long; at most ${max} are allowed`;
}

/** A field name as shown in reasons: bare when it is a plain word, JSON-quoted otherwise. */
function label(field: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(field) ? field : JSON.stringify(field.length > 64 ? `${field.slice(0, 64)}…` : field);
}
