import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { InfraError, errorMessage } from './errors';
import { registerForExit } from './exit-hooks';
import { formatSeconds, type Log } from './log';
import { signalGroup } from './process-control';
import { spawnWatchdog } from './watchdog';

export interface ManagedProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** stdout and stderr are appended here. */
  readonly outputFile: string;
  /** Time between SIGTERM and SIGKILL on stop(). */
  readonly stopTimeoutMs: number;
  /** Let the service outlive this process (the CLI's `up`): no watchdog and no exit hooks. */
  readonly keepAlive: boolean;
  /** Stop the service when this process gets SIGINT/SIGTERM/SIGHUP (ignored with keepAlive). */
  readonly handleSignals: boolean;
  readonly log: Log;
  /** Runs once the process has exited, however it ended; stop() and kill() wait for it. */
  readonly afterExit?: () => Promise<void>;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  /** The service's pid, also its process group id. */
  readonly pid: number;
  readonly watchdogPid: number | null;
  readonly exited: Promise<ExitStatus>;
  /** null while the process runs. */
  exitStatus(): ExitStatus | null;
  /** SIGTERM to the group, SIGKILL after stopTimeoutMs; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL to the group (a simulated crash); resolves once the process has exited. */
  kill(): Promise<void>;
}

export const describeExit = ({ code, signal }: ExitStatus): string =>
  signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;

/** Spawns a service detached in its own process group, with its output in a file. */
export const spawnManaged = async (spec: ManagedProcessSpec): Promise<ManagedProcess> => {
  const output = openSync(spec.outputFile, 'a');
  const child = (() => {
    try {
      return spawn(spec.command, spec.args, { cwd: spec.cwd, detached: true, stdio: ['ignore', output, output] });
    } finally {
      closeSync(output);
    }
  })();
  try {
    await once(child, 'spawn');
  } catch (error) {
    throw new InfraError('TRB_INFRA_START_FAILED', `could not start ${spec.name} (${spec.command}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const pid = child.pid;
  if (pid === undefined) throw new InfraError('TRB_INFRA_START_FAILED', `${spec.name} started without a pid`);
  child.unref();

  let status: ExitStatus | null = null;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });

  const settled = exited
    .then(() => spec.afterExit?.())
    .catch((error: unknown) => spec.log(`${spec.name}: after exit: ${errorMessage(error)}`));

  const watchdog = spec.keepAlive
    ? null
    : spawnWatchdog({ ownerPid: process.pid, pgid: pid, graceSeconds: spec.stopTimeoutMs / 1000 });
  if (!spec.keepAlive && watchdog === null) {
    spec.log(`${spec.name}: could not start its watchdog (sh); it will not be stopped if this process is SIGKILLed`);
  }
  const stopWatchdog = (): void => watchdog?.stop();

  const finish = async (): Promise<void> => {
    child.ref(); // the child is unreferenced: without this, awaiting its exit could let Node exit first
    await exited;
    signalGroup(pid, 'SIGKILL'); // anything the service forked and left in its group
    await settled;
  };

  const stop = async (): Promise<void> => {
    stopWatchdog();
    if (status !== null) return settled;
    signalGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), spec.stopTimeoutMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === true) {
      spec.log(`${spec.name} (pid ${pid}) did not stop within ${formatSeconds(spec.stopTimeoutMs)}: sending SIGKILL`);
      signalGroup(pid, 'SIGKILL');
    }
    await finish();
  };

  const kill = async (): Promise<void> => {
    stopWatchdog();
    if (status !== null) return settled;
    signalGroup(pid, 'SIGKILL');
    await finish();
  };

  if (!spec.keepAlive) {
    const unregister = registerForExit({ pgid: pid, stop, handleSignals: spec.handleSignals, log: spec.log });
    void exited.then(unregister);
  }

  return { pid, watchdogPid: watchdog?.pid ?? null, exited, exitStatus: () => status, stop, kill };
};
