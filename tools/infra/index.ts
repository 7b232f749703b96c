/** tools/infra: a real Kafka broker and a real Redis for any command, with nothing installed by hand. */
export { startInfra, type InfraHandle, type StartInfraOptions } from './start-infra';
export { startKafka, type KafkaHandle, type StartKafkaOptions } from './kafka-server';
export { startRedis, type RedisHandle, type StartRedisOptions } from './redis-server';
export type { ServiceControl } from './service-control';
export type { InfraEnv } from './infra-env';
export { ensureKafkaJars, type EnsureKafkaJarsOptions } from './kafka-jars';
export { kafkaRoundTrip, probeKafka } from './kafka-probe';
export { pingRedis } from './redis-probe';
export { InfraError, type InfraErrorCode } from './errors';
export { freePorts } from './free-port';
