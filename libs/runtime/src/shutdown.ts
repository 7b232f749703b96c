import type { Logger } from 'pino';

export type Closer = { name: string; close: () => Promise<void> | void };

export interface Shutdown {
  /** Registers something to close; closers run in reverse order of registration. */
  add(closer: Closer): void;
  /** Closes everything once; later calls return the same promise. */
  close(reason: string): Promise<void>;
}

/**
 * Graceful shutdown: on SIGTERM or SIGINT, close what was registered (newest first), then exit 0.
 * A closer that hangs past `timeoutMs` makes the process exit 1 instead of hanging forever.
 */
export function installShutdown(options: {
  logger: Logger;
  timeoutMs?: number;
  signals?: readonly NodeJS.Signals[];
  exit?: (code: number) => void;
}): Shutdown {
  const { logger, timeoutMs = 15_000, signals = ['SIGTERM', 'SIGINT'] } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const closers: Closer[] = [];
  let closing: Promise<void> | undefined;

  const close = (reason: string): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down');
      for (const closer of [...closers].reverse()) {
        try {
          await closer.close();
          logger.debug({ closer: closer.name }, 'closed');
        } catch (err) {
          logger.error({ err, closer: closer.name }, 'close failed');
        }
      }
      logger.info('stopped');
    })();
    return closing;
  };

  for (const signal of signals) {
    process.once(signal, () => {
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out');
        exit(1);
      }, timeoutMs);
      timer.unref();
      void close(signal).then(() => exit(0));
    });
  }

  return { add: (closer) => void closers.push(closer), close };
}
