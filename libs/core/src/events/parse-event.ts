import type { ViewDefinition } from '../views/view';
import { DEFAULT_MAX_FUTURE_SKEW_MS, type ValidationResult } from './event';
import { type EventValidationContext, metricFieldsByType, validateEvent } from './validate-event';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses one event from its text or its UTF-8 bytes (a Kafka message value, an NDJSON line) and
 * validates it. Bytes that are not UTF-8 and text that is not JSON are rejected with a clear reason.
 */
export function parseEvent(input: string | Uint8Array, ctx: EventValidationContext): ValidationResult {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      return { ok: false, reason: 'the message is not valid UTF-8; events must be UTF-8 JSON' };
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `malformed JSON: ${detail}; an event must be one JSON object` };
  }
  return validateEvent(raw, ctx);
}

export interface EventValidator {
  validate(raw: unknown, receivedAt: number): ValidationResult;
  parse(input: string | Uint8Array, receivedAt: number): ValidationResult;
}

/** A validator for a set of views: the metric fields per event type are computed once, here. */
export function createEventValidator(
  views: readonly ViewDefinition[],
  options: { maxFutureSkewMs?: number } = {},
): EventValidator {
  const fields = metricFieldsByType(views);
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const ctx = (receivedAt: number): EventValidationContext => ({ receivedAt, maxFutureSkewMs, metricFieldsByType: fields });
  return {
    validate: (raw, receivedAt) => validateEvent(raw, ctx(receivedAt)),
    parse: (input, receivedAt) => parseEvent(input, ctx(receivedAt)),
  };
}
