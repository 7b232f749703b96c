import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { demoEvent, seededRandom } from './demo-events';

/**
 * Produces demo events to the events topic at a steady rate until the signal aborts. Creates the
 * topic (3 partitions) when it is missing, as the apps do.
 */
export async function produceDemo(options: {
  brokers: readonly string[];
  topic: string;
  eventsPerSecond: number;
  signal: AbortSignal;
  log: (msg: string) => void;
}): Promise<void> {
  const kafka = new Kafka({ clientId: 'tributary-demo', brokers: [...options.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: options.topic, numPartitions: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  const random = seededRandom(Date.now());
  const runId = randomUUID().slice(0, 8);
  const tickMs = 200;
  const perTick = Math.max(1, Math.round((options.eventsPerSecond * tickMs) / 1000));
  let sequence = 0;
  options.log(`demo: producing ~${options.eventsPerSecond} events/s to ${options.topic}`);
  try {
    while (!options.signal.aborted) {
      const now = Date.now();
      const messages = Array.from({ length: perTick }, () => {
        const event = demoEvent(random, now, sequence++, runId);
        return { key: String(event.id), value: JSON.stringify(event) };
      });
      await producer.send({ topic: options.topic, acks: -1, messages });
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  } finally {
    await producer.disconnect();
  }
}
