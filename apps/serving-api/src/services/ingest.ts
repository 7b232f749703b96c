import type { EventValidator } from '@tributary/core';
import { ServingError } from '../errors';
import type { EventSink } from '../ports';

/** The items of a `POST /v1/events` body, each with its index (array position or NDJSON line). */
export interface BodyItem {
  index: number;
  /** The parsed item, or a reason when the NDJSON line is not JSON. */
  value: { ok: true; raw: unknown; text?: string } | { ok: false; reason: string };
}

export const NDJSON_TYPE = 'application/x-ndjson';

/** Splits a JSON body (one object or an array) into items; anything else is a 400. */
export function jsonBodyItems(body: unknown): BodyItem[] {
  if (Array.isArray(body)) return body.map((raw: unknown, index) => ({ index, value: { ok: true, raw } }));
  if (body !== null && typeof body === 'object') return [{ index: 0, value: { ok: true, raw: body } }];
  throw new ServingError('TRB_BODY_INVALID', `the body must be one event object, a JSON array of events, or NDJSON (content-type: ${NDJSON_TYPE}); got ${body === null ? 'null' : typeof body}`);
}

/** One item per non-blank line; a line that is not JSON is an item rejected with the reason. */
export function ndjsonBodyItems(text: string): BodyItem[] {
  const items: BodyItem[] = [];
  text.split('\n').forEach((line, index) => {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() === '') return;
    try {
      items.push({ index, value: { ok: true, raw: JSON.parse(trimmed) as unknown, text: trimmed } });
    } catch (err) {
      items.push({ index, value: { ok: false, reason: `line ${index}: malformed JSON (${err instanceof Error ? err.message : String(err)}); each line must be one JSON event` } });
    }
  });
  if (items.length === 0) throw new ServingError('TRB_BODY_INVALID', 'the NDJSON body holds no event: send one JSON event per line');
  return items;
}

export interface IngestAnswer {
  accepted: number;
  rejected: Array<{ index: number; reason: string }>;
}

/**
 * Validates every item with core (CONTRACT.md §1, received = now) and writes the valid ones to the
 * events topic, keyed by id, before answering: a 202 means they are durable in Kafka.
 */
/** How long `POST /v1/events` waits for Kafka's acknowledgement before answering 503 (default). */
export const INGEST_ACK_TIMEOUT_MS = 10_000;

export async function ingestEvents(
  deps: { validator: EventValidator; sink: EventSink; ackTimeoutMs?: number },
  items: readonly BodyItem[],
  receivedAt: number,
): Promise<IngestAnswer> {
  const rejected: IngestAnswer['rejected'] = [];
  const messages: Array<{ key: string; value: string }> = [];
  for (const { index, value } of items) {
    if (!value.ok) {
      rejected.push({ index, reason: value.reason });
      continue;
    }
    const result = deps.validator.validate(value.raw, receivedAt);
    if (!result.ok) rejected.push({ index, reason: result.reason });
    else messages.push({ key: result.event.id, value: value.text ?? JSON.stringify(value.raw) });
  }
  if (messages.length > 0) {
    const ms = deps.ackTimeoutMs ?? INGEST_ACK_TIMEOUT_MS;
    await withDeadline(deps.sink.send(messages), ms, () =>
      new ServingError('TRB_KAFKA_UNAVAILABLE', `Kafka did not acknowledge the events within ${ms / 1000} s: retry the request (events are identified by id, so a retry never counts one twice)`),
    );
  }
  return { accepted: messages.length, rejected };
}

/** `promise`, or the error `onTimeout` makes once `ms` have passed (the work itself goes on). */
async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
