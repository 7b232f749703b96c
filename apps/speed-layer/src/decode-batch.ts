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
    const result = validator.parse(message.value.toString('utf8'), receivedAt);
    if (result.ok) events.push({ event: result.event, offset: message.offset, receivedAt });
    else reject(result.reason);
  }
  return { events, deadLetters };
}
