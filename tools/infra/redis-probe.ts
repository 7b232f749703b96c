import { Redis } from 'ioredis';
import { errorMessage } from './errors';
import { withTimeout } from './poll';

/** Opens a one-off connection to `url`, runs `use`, and closes it; all within `timeoutMs`. */
const withClient = async <T>(url: string, timeoutMs: number, use: (redis: Redis) => Promise<T>): Promise<T> => {
  let lastError: unknown = null;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: Math.min(timeoutMs, 3_000),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    return await withTimeout(
      redis.connect().then(() => use(redis)),
      timeoutMs,
      `no answer from ${url} within ${timeoutMs} ms`,
    );
  } catch (error) {
    throw lastError === null || lastError === error
      ? error
      : new Error(`${errorMessage(error)} (${errorMessage(lastError)})`, { cause: error });
  } finally {
    redis.disconnect();
  }
};

/** Sends one PING to `url`; resolves if the answer is PONG within `timeoutMs`, rejects otherwise. */
export const pingRedis = (url: string, timeoutMs: number): Promise<void> =>
  withClient(url, timeoutMs, async (redis) => {
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`${url} answered ${answer} to PING`);
  });

/** The pid of the server answering at `url` (INFO server), to be sure it is the one we started. */
export const redisServerPid = (url: string, timeoutMs: number): Promise<number> =>
  withClient(url, timeoutMs, async (redis) => {
    const pid = /^process_id:(\d+)/m.exec(await redis.info('server'))?.[1];
    if (pid === undefined) throw new Error(`${url} did not report its process_id`);
    return Number(pid);
  });
