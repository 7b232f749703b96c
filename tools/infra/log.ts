/** How tools/infra reports progress: one line per step, with how long it took. */
export type Log = (message: string) => void;

export const defaultLog: Log = (message) => {
  process.stderr.write(`[infra] ${message}\n`);
};

/** 6234 -> "6.2 s" */
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** 48_234_112 -> "46.0 MB" */
export const formatMegabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Starts a clock; the returned function gives the milliseconds elapsed since. */
export const stopwatch = (): (() => number) => {
  const startedAt = performance.now();
  return () => performance.now() - startedAt;
};
