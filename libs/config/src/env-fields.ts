import { Type } from 'typebox';

/**
 * The environment variables of CONTRACT.md §3, one schema each, shared by every app so the
 * names, defaults and rules cannot drift. `description` is shown when a value is rejected.
 */
const port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

const millis = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 10 * 365 * 86_400_000, default: def, description });

export const envFields = {
  KAFKA_BROKERS: Type.String({
    default: '127.0.0.1:9092',
    pattern: '^[^\\s,:]+:\\d+(,[^\\s,:]+:\\d+)*$',
    description: 'comma-separated host:port list of Kafka bootstrap servers',
  }),
  EVENTS_TOPIC: Type.String({
    default: 'events',
    pattern: '^[a-zA-Z0-9._-]{1,200}$',
    description: 'a Kafka topic name (letters, digits, ".", "_", "-")',
  }),
  REDIS_URL: Type.String({
    default: 'redis://127.0.0.1:6379',
    pattern: '^rediss?://',
    description: 'a redis:// or rediss:// URL',
  }),
  LAKE_DIR: Type.String({ default: './data/lake', minLength: 1, description: 'a directory path' }),
  VIEWS_FILE: Type.String({ default: 'config/views.yaml', minLength: 1, description: 'a YAML or JSON file path' }),
  PORT: port(3000, 'the serving API TCP port (0-65535)'),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'the interface to listen on' }),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'a bearer token of at least 16 characters' }),
  ),
  BATCH_INTERVAL_MS: millis(900_000, 'automatic recompute period in ms; 0 turns it off'),
  MAX_FUTURE_SKEW_MS: millis(86_400_000, 'how far ahead of its receipt an event may be, in ms'),
  DEDUP_WINDOW_MS: millis(3_600_000, 'how long the speed layer remembers event ids, in ms'),
  SPEED_LAYER_PORT: port(3001, "the speed layer's operations port (healthz, metrics)"),
  BATCH_LAYER_PORT: port(3002, "the batch layer's operations port (healthz, metrics)"),
  EVENTS_PARTITIONS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 3,
    description: 'partitions of the events topic when Tributary creates it (1-1000)',
  }),
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    maximum: 300_000,
    default: 30_000,
    description: "consumer group session timeout in ms: how soon a dead consumer's partitions move (the broker's group.min.session.timeout.ms bounds it)",
  }),
  ARCHIVE_SEGMENT_MAX_BYTES: Type.Integer({
    minimum: 1_024,
    maximum: 2_147_483_647,
    default: 67_108_864,
    description: 'the archiver rolls a raw segment once it holds this many bytes (1 KiB to 2 GiB)',
  }),
  ARCHIVE_SEGMENT_MAX_AGE_MS: Type.Integer({
    minimum: 100,
    maximum: 86_400_000,
    default: 300_000,
    description: 'the archiver rolls a raw segment once its first message waited this long, in ms (100 ms to 1 day)',
  }),
  BATCH_KEEP_VERSIONS: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 3,
    description: 'how many batch versions to keep on disk, the published one included (1-1000)',
  }),
  BATCH_DROP_GRACE_MS: millis(10_000, 'how long after publishing a batch version the covered speed generations are kept for in-flight reads, in ms'),
  REDIS_KEY_PREFIX: Type.String({
    default: 'trb',
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    description: 'prefix of every Redis key and BullMQ queue (letters, digits, ".", "_", "-")',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
} as const;

export type EnvFieldName = keyof typeof envFields;
