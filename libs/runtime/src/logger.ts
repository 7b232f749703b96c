import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one logger per process, tagged with the app's name. */
export function createLogger(options: { app: string; level?: LevelWithSilent | string }): Logger {
  return pino({
    name: options.app,
    level: options.level ?? 'info',
    base: { app: options.app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
