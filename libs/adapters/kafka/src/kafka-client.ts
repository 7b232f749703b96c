import { Kafka, logLevel, type LogEntry, type logCreator, type Producer } from 'kafkajs';

/** The part of a pino logger kafkajs' logs are sent to. */
export interface KafkaLogSink {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const toSink = (sink: KafkaLogSink): logCreator => () => ({ namespace, level, log }: LogEntry) => {
  const { message, ...rest } = log;
  const entry = { kafka: namespace, ...rest };
  if (level === logLevel.ERROR) sink.error(entry, message);
  else if (level === logLevel.WARN) sink.warn(entry, message);
  else if (level === logLevel.INFO) sink.info(entry, message);
  else sink.debug(entry, message);
};

/** A kafkajs client whose logs go to our structured logger, with retries suited to a local broker. */
export function createKafkaClient(options: { brokers: readonly string[]; clientId: string; logger?: KafkaLogSink }): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.logger ? logLevel.WARN : logLevel.NOTHING,
    ...(options.logger ? { logCreator: toSink(options.logger) } : {}),
    retry: { initialRetryTime: 200, retries: 10, maxRetryTime: 5_000 },
    connectionTimeout: 5_000,
  });
}

/**
 * An idempotent producer (one request in flight, so order holds) that retries for as long as it
 * takes: bounding an idempotent producer's retries may duplicate or reorder a message (kafkajs warns
 * so). A caller that must answer in bounded time races `send` against its own deadline.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 } });
}
