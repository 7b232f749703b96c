import { integrationEnv, uniqueName } from '@tributary/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';

// Proves the broker is a real Kafka: a fresh topic with 3 partitions, a produce acknowledged by
// all in-sync replicas, and a consume through a consumer group that sees every message once.
const { kafkaBrokers } = integrationEnv();
const kafka = new Kafka({ clientId: 'smoke', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
const topic = uniqueName('smoke');
const admin = kafka.admin();
let consumer: Consumer | undefined;

afterAll(async () => {
  await consumer?.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('Kafka (real broker)', () => {
  it('round-trips messages through a consumer group on a fresh topic', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }) }));
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: number[] = [];
    const partitions = new Set<number>();
    const all = new Promise<void>((resolve) => {
      void consumer?.run({
        eachMessage: async ({ message, partition }) => {
          received.push((JSON.parse(String(message.value)) as { n: number }).n);
          partitions.add(partition);
          if (received.length === sent.length) resolve();
        },
      });
    });
    await all;
    expect(received.sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    expect(partitions.size).toBeGreaterThan(1);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
  });
});
