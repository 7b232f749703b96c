export { createIdempotentProducer, createKafkaClient, type KafkaLogSink } from './kafka-client';
export { ensureTopic, partitionOffsets } from './topics';
export { createDeadLetterSink, deadLetterTopic, type DeadLetter, type DeadLetterSink } from './dead-letters';
export type { Kafka, Consumer, Producer, Admin, EachBatchPayload, KafkaMessage } from 'kafkajs';
