import type { ManagedProcess } from './managed-process';

/** The part of every service handle that manages its process: stop, crash on purpose, restart. */
export interface ServiceControl {
  /** The current process's pid (a restart changes it). */
  readonly pid: number;
  /** The watchdog that stops the service if this process dies; null with keepAlive. */
  readonly watchdogPid: number | null;
  isRunning(): boolean;
  /** Graceful: SIGTERM to the process group, SIGKILL after a timeout. Keeps the data folder. */
  stop(): Promise<void>;
  /** SIGKILL to the process group, to simulate a crash. Keeps the data folder. */
  kill(): Promise<void>;
  /** Stops the service if it runs, then starts it again on the same ports and data, and waits until ready. */
  restart(): Promise<void>;
}

/** Wraps a `launch` that spawns the service and resolves once it is ready (and kills it if it never is). */
export const createServiceControl = async (launch: () => Promise<ManagedProcess>): Promise<ServiceControl> => {
  let current = await launch();
  return {
    get pid() {
      return current.pid;
    },
    get watchdogPid() {
      return current.watchdogPid;
    },
    isRunning: () => current.exitStatus() === null,
    stop: () => current.stop(),
    kill: () => current.kill(),
    restart: async () => {
      await current.stop();
      current = await launch();
    },
  };
};
