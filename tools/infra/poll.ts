import { abortedError, InfraError } from './errors';

/** Resolves after `ms`, or rejects with TRB_INFRA_ABORTED as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError('waiting', signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError('waiting', signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Races `work` against a timer. On timeout it rejects with TRB_INFRA_START_TIMEOUT and `message`;
 * the caller's `finally` is responsible for closing whatever `work` opened.
 */
export const withTimeout = async <T>(work: Promise<T>, ms: number, message: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InfraError('TRB_INFRA_START_TIMEOUT', message)), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};
