import type { EventValidator, NormalizedEvent } from '@tributary/core';
import type { DeadLetter } from '@tributary/adapter-kafka';

/** The parts of a Kafka message the speed layer reads. */
export interface RawMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: DeadLetter['headers'];
}

export interface ReceivedEvent {
  event: NormalizedEvent;
  /** The Kafka offset the event came from. */
  offset: string;
  /** The Kafka message timestamp: when the event was received (CONTRACT.md §1). */
  receivedAt: number;
}

/** CONTRACT.md §1: an event is UTF-8 JSON; bytes that are not UTF-8 are rejected, never repaired. */
export const NOT_UTF8 = 'the message is not valid UTF-8: an event must be one UTF-8 JSON object';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a partition's batch into valid events and dead letters (original bytes and headers plus
 * the reason). An event's "received" time is its message's timestamp, so every layer and every
 * replay decides the future-skew rule the same way.
 */
export function decodeBatch(
  partition: number,
  messages: readonly RawMessage[],
  validator: EventValidator,
): { events: ReceivedEvent[]; deadLetters: DeadLetter[] } {
  const events: ReceivedEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const receivedAt = Number(message.timestamp);
    const reject = (error: string) =>
      deadLetters.push({
        key: message.key,
        value: message.value,
        ...(message.headers ? { headers: message.headers } : {}),
        error,
        sourcePartition: partition,
        sourceOffset: message.offset,
      });
    if (message.value === null || message.value.length === 0) {
      reject('empty message: an event must be one JSON object');
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(message.value);
    } catch {
      reject(NOT_UTF8);
      continue;
    }
    const result = validator.parse(text, receivedAt);
    if (result.ok) events.push({ event: result.event, offset: message.offset, receivedAt });
    else reject(result.reason);
  }
  return { events, deadLetters };
}
