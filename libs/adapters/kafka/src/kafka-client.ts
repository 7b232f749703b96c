import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';

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
