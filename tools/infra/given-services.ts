import { InfraError, errorMessage } from './errors';
import { probeKafka } from './kafka-probe';
import { formatSeconds, stopwatch, type Log } from './log';
import { pingRedis } from './redis-probe';

/** Services the caller provided through KAFKA_BROKERS / REDIS_URL: used as they are, after a check. */

export const GIVEN_SERVICE_TIMEOUT_MS = 15_000;

export const checkGivenKafka = async (brokers: string, log: Log, timeoutMs = GIVEN_SERVICE_TIMEOUT_MS): Promise<void> => {
  const elapsed = stopwatch();
  try {
    const cluster = await probeKafka(brokers, timeoutMs);
    log(`kafka: using KAFKA_BROKERS=${brokers} (${cluster.brokers} broker(s), answered in ${formatSeconds(elapsed())})`);
  } catch (error) {
    throw new InfraError(
      'TRB_INFRA_ENV_UNREACHABLE',
      `KAFKA_BROKERS=${brokers} does not answer (${errorMessage(error)}): start a broker there or unset KAFKA_BROKERS so the tool starts one`,
      { cause: error },
    );
  }
};

/** The URL without its password, for messages. */
export const redactRedisUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export const checkGivenRedis = async (url: string, log: Log, timeoutMs = GIVEN_SERVICE_TIMEOUT_MS): Promise<void> => {
  const elapsed = stopwatch();
  const shown = redactRedisUrl(url);
  try {
    await pingRedis(url, timeoutMs);
    log(`redis: using REDIS_URL=${shown} (PONG in ${formatSeconds(elapsed())})`);
  } catch (error) {
    throw new InfraError(
      'TRB_INFRA_ENV_UNREACHABLE',
      `REDIS_URL=${shown} does not answer (${errorMessage(error).replaceAll(url, shown)}): start Redis there or unset REDIS_URL so the tool starts one`,
      { cause: error },
    );
  }
};
