import type { Admin } from 'kafkajs';

/** Creates the topic with `partitions` partitions when it does not exist; returns its partition count. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<number> {
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    } catch (err) {
      // Another process created it meanwhile: fine.
      if (!(err instanceof Error) || !/already exists/i.test(err.message)) throw err;
    }
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length ?? 0;
}

/** Per partition, the earliest offset still in the log and the high watermark (next offset). */
export async function partitionOffsets(admin: Admin, topic: string): Promise<Map<number, { low: string; high: string }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
}
