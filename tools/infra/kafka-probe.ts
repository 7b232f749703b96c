import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { withTimeout } from './poll';

/** Talking to a broker with kafkajs: "does it answer?" and "does it really work end to end?". */

const client = (brokers: string, clientId: string): Kafka =>
  new Kafka({
    clientId,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  });

const disconnectAll = async (clients: ReadonlyArray<Admin | Producer | Consumer | null>): Promise<void> => {
  await Promise.allSettled(clients.map((c) => c?.disconnect()));
};

/** Connects an admin client and describes the cluster; rejects if that takes longer than `timeoutMs`. */
export const probeKafka = async (brokers: string, timeoutMs: number): Promise<{ brokers: number; controller: number | null }> => {
  const admin = client(brokers, 'tributary-infra-probe').admin();
  try {
    const cluster = await withTimeout(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
      `no answer from ${brokers} within ${timeoutMs} ms`,
    );
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  } finally {
    await disconnectAll([admin]);
  }
};

/**
 * Creates a throwaway topic, produces one message, consumes it through a consumer group and deletes
 * the topic. Proves the broker, the group coordinator and __consumer_offsets all work.
 */
export const kafkaRoundTrip = async (brokers: string, timeoutMs: number): Promise<void> => {
  const kafka = client(brokers, 'tributary-infra-round-trip');
  const topic = `tributary-infra-probe-${randomUUID()}`;
  const token = randomUUID();
  const admin = kafka.admin();
  let producer: Producer | null = null;
  let consumer: Consumer | null = null;
  const work = async (): Promise<void> => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: token }] });
    consumer = kafka.consumer({ groupId: `${topic}-group`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer;
    await new Promise<void>((resolve, reject) => {
      running
        .run({
          eachMessage: async ({ message }) => {
            if (message.value?.toString() === token) resolve();
          },
        })
        .catch(reject);
    });
    await disconnectAll([consumer, producer]);
    await admin.deleteTopics({ topics: [topic] });
  };
  try {
    await withTimeout(work(), timeoutMs, `the produce/consume round trip on ${brokers} did not finish in ${timeoutMs} ms`);
  } finally {
    await disconnectAll([consumer, producer, admin]);
  }
};
