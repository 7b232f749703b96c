import type { Log } from './log';

/** What every CLI command gets: where the state lives and where to write. */
export interface CliContext {
  readonly stateDir: string;
  /** Progress and diagnostics (stderr). */
  readonly log: Log;
  /** The command's product, e.g. the export line (stdout). */
  readonly print: (line: string) => void;
}

/** Calls `onSignal` on SIGINT/SIGTERM/SIGHUP until the returned function is called. */
export const onTerminationSignals = (onSignal: (signal: NodeJS.Signals) => void): (() => void) => {
  const signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
};
