import { InfraError, errorMessage } from './errors';
import { checkGivenKafka, checkGivenRedis, redactRedisUrl } from './given-services';
import { givenValue, type InfraEnv } from './infra-env';
import { startKafka, type KafkaHandle } from './kafka-server';
import { defaultLog, formatSeconds, stopwatch, type Log } from './log';
import { defaultStateDir } from './paths';
import { requireTool } from './prerequisites';
import { startRedis, type RedisHandle } from './redis-server';
import { freePorts } from './free-port';
import { createRunDir, type RunDir } from './run-dir';

export interface StartInfraOptions {
  /** Where run folders go; default <repo root>/.tributary. */
  readonly stateDir?: string;
  /** Progress lines; default: stderr with an "[infra]" prefix. */
  readonly log?: (message: string) => void;
  /** Aborting stops whatever was started and rejects with TRB_INFRA_ABORTED. */
  readonly signal?: AbortSignal;
  /** Services outlive this process (for `cli up`): no watchdogs, no exit hooks. Default false. */
  readonly keepAlive?: boolean;
  /** Stop the services when this process gets SIGINT/SIGTERM/SIGHUP. Default true. */
  readonly handleSignals?: boolean;
  /** Default process.env; only KAFKA_BROKERS and REDIS_URL are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface InfraHandle {
  readonly env: InfraEnv;
  /** false for a service given through KAFKA_BROKERS / REDIS_URL: it is used but never stopped. */
  readonly owned: { readonly kafka: boolean; readonly redis: boolean };
  /** The started services (null when given through the environment). */
  readonly kafka: KafkaHandle | null;
  readonly redis: RedisHandle | null;
  /** The run folder of the started services; null if none were started. */
  readonly runDir: string | null;
  /** Stops the owned services and removes their run folder. Safe to call twice. */
  stop(): Promise<void>;
}

const stopAll = async (services: ReadonlyArray<KafkaHandle | RedisHandle | null>): Promise<void> => {
  const results = await Promise.allSettled(services.map((service) => service?.stop()));
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0) {
    throw new InfraError('TRB_INFRA_START_FAILED', `stopping failed: ${failures.map((f) => errorMessage(f.reason)).join('; ')}`);
  }
};

/** A port chosen free a moment ago was bound by someone else before our server could (a race). */
const portTaken = (reason: unknown): boolean => reason instanceof InfraError && /is already in use/.test(reason.message);
const PORT_ATTEMPTS = 3;

const startOwned = async (
  runDir: RunDir,
  wanted: { kafka: boolean; redis: boolean },
  options: StartInfraOptions,
  log: Log,
): Promise<{ kafka: KafkaHandle | null; redis: RedisHandle | null }> => {
  const common = { dir: runDir.path, log, signal: options.signal, keepAlive: options.keepAlive, handleSignals: options.handleSignals };
  for (let attempt = 1; ; attempt++) {
    // Chosen together, so Kafka and Redis (started side by side) never pick the same free port.
    const [port, controllerPort, redisPort] = await freePorts(3);
    const [kafka, redis] = await Promise.allSettled([
      wanted.kafka ? startKafka({ ...common, port, controllerPort }) : Promise.resolve(null),
      wanted.redis ? startRedis({ ...common, port: redisPort }) : Promise.resolve(null),
    ]);
    if (kafka.status === 'fulfilled' && redis.status === 'fulfilled') return { kafka: kafka.value, redis: redis.value };
    const failures = [kafka, redis].filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    await stopAll([kafka.status === 'fulfilled' ? kafka.value : null, redis.status === 'fulfilled' ? redis.value : null]);
    if (attempt < PORT_ATTEMPTS && !options.signal?.aborted && failures.every((f) => portTaken(f.reason))) {
      log(`${errorMessage(failures[0]?.reason)} (another process took it meanwhile): trying other ports`);
      continue;
    }
    for (const failure of failures.slice(1)) log(`also failed: ${errorMessage(failure.reason)}`);
    const first = failures[0]?.reason as unknown;
    if (!options.signal?.aborted) await runDir.markFailed(first);
    else await runDir.remove();
    throw first;
  }
};

/**
 * Gives a command a real Kafka broker and a real Redis: those named by KAFKA_BROKERS / REDIS_URL
 * (checked, never stopped), or its own (started here, stopped by `stop()`, by a signal or exit of this
 * process, or by their watchdog if this process is killed).
 */
export const startInfra = async (options: StartInfraOptions = {}): Promise<InfraHandle> => {
  const log = options.log ?? defaultLog;
  const elapsed = stopwatch();
  const env = options.env ?? process.env;
  const givenBrokers = givenValue(env['KAFKA_BROKERS']);
  const givenRedis = givenValue(env['REDIS_URL']);
  await Promise.all([
    givenBrokers === null ? null : checkGivenKafka(givenBrokers, log),
    givenRedis === null ? null : checkGivenRedis(givenRedis, log),
  ]);

  const wanted = { kafka: givenBrokers === null, redis: givenRedis === null };
  let runDir: RunDir | null = null;
  let started: { kafka: KafkaHandle | null; redis: RedisHandle | null } = { kafka: null, redis: null };
  if (wanted.kafka || wanted.redis) {
    // Say what is missing before anything starts.
    const checks = await Promise.allSettled([wanted.kafka ? requireTool('java') : null, wanted.redis ? requireTool('redis-server') : null]);
    const missing = checks.filter((check): check is PromiseRejectedResult => check.status === 'rejected');
    if (missing.length > 0) {
      throw new InfraError('TRB_INFRA_MISSING_TOOL', missing.map((check) => errorMessage(check.reason)).join('\n'));
    }
    runDir = await createRunDir(options.stateDir ?? defaultStateDir(), log);
    started = await startOwned(runDir, wanted, options, log);
  }
  const { kafka, redis } = started;
  const infraEnv: InfraEnv = {
    KAFKA_BROKERS: kafka?.brokers ?? givenBrokers ?? '',
    REDIS_URL: redis?.url ?? givenRedis ?? '',
  };
  log(`infra ready in ${formatSeconds(elapsed())}: KAFKA_BROKERS=${infraEnv.KAFKA_BROKERS} REDIS_URL=${redactRedisUrl(infraEnv.REDIS_URL)}`);

  let stopping: Promise<void> | null = null;
  const ownedRunDir = runDir;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const stopWatch = stopwatch();
      await stopAll([kafka, redis]);
      await ownedRunDir?.remove();
      if (kafka !== null || redis !== null) log(`stopped in ${formatSeconds(stopWatch())}`);
    })();
    return stopping;
  };
  return { env: infraEnv, owned: wanted, kafka, redis, runDir: runDir?.path ?? null, stop };
};
