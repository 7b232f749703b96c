import type { IHeaders, Producer } from 'kafkajs';

/** One rejected message: its original bytes and where it came from. */
export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  error: string;
  sourcePartition: number;
  sourceOffset: string;
}

/** The topic rejected events go to: `<EVENTS_TOPIC>.dlq` (CONTRACT.md §1). */
export const deadLetterTopic = (eventsTopic: string) => `${eventsTopic}.dlq`;

/**
 * Writes rejected messages to the dead-letter topic with the original key, value and headers plus
 * `error`, `source-partition` and `source-offset`, and resolves once every in-sync replica has them.
 * At least once: a crash between this write and the speed layer's apply writes them again, with the
 * same `source-partition`/`source-offset`, which identify a dead letter.
 */
export function createDeadLetterSink(producer: Producer, eventsTopic: string) {
  const topic = deadLetterTopic(eventsTopic);
  return {
    topic,
    async send(letters: readonly DeadLetter[]): Promise<void> {
      if (letters.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            ...l.headers,
            error: l.error,
            'source-partition': String(l.sourcePartition),
            'source-offset': l.sourceOffset,
          },
        })),
      });
    },
  };
}
export type DeadLetterSink = ReturnType<typeof createDeadLetterSink>;
