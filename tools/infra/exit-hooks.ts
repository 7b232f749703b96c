import { constants } from 'node:os';
import type { Log } from './log';
import { signalGroup } from './process-control';

/**
 * Stops the services this process started when it ends:
 * - on a normal exit, SIGTERM to every live service group (synchronous: 'exit' cannot wait; the
 *   per-service watchdog escalates to SIGKILL if one lingers);
 * - on SIGINT/SIGTERM/SIGHUP (only while a registration asks for it, and only if the program has no
 *   handler of its own for that signal), a graceful stop of all of them, then the signal is raised
 *   again so the process ends the way it would have without us;
 * A SIGKILL of this process is covered by the watchdogs alone.
 */
interface Registration {
  readonly pgid: number;
  readonly stop: () => Promise<void>;
  readonly handleSignals: boolean;
  readonly log: Log;
}

const HANDLED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const registrations = new Set<Registration>();
let exitHookInstalled = false;
let signalHooksInstalled = false;
let stopping = false;

const onExit = (): void => {
  for (const registration of registrations) signalGroup(registration.pgid, 'SIGTERM');
};

const onSignal = (signal: NodeJS.Signals): void => {
  // Ours runs first (prepended): if the program handles this signal too, its shutdown comes first (it
  // may still need Kafka to commit or Redis to flush), and it ends by calling stop() or by exiting,
  // which the exit hook covers. Like Node itself, we only act when nobody else does.
  if (process.listeners(signal).some((listener) => listener !== onSignal)) return;
  const live = [...registrations];
  if (stopping) {
    // A second Ctrl-C: do not wait for graceful shutdowns any more.
    for (const registration of live) signalGroup(registration.pgid, 'SIGKILL');
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  stopping = true;
  live[0]?.log(`${signal}: stopping ${live.length} service(s) (press Ctrl-C again to kill them)`);
  void Promise.allSettled(live.map((registration) => registration.stop())).then((results) => {
    for (const result of results) {
      if (result.status === 'rejected') live[0]?.log(`stopping a service failed: ${String(result.reason)}`);
    }
    stopping = false;
    removeSignalHooks();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
};

const removeSignalHooks = (): void => {
  for (const signal of HANDLED_SIGNALS) process.removeListener(signal, onSignal);
  signalHooksInstalled = false;
};

const syncSignalHooks = (): void => {
  const wanted = [...registrations].some((registration) => registration.handleSignals);
  if (wanted && !signalHooksInstalled) {
    for (const signal of HANDLED_SIGNALS) process.prependListener(signal, onSignal);
    signalHooksInstalled = true;
  } else if (!wanted && signalHooksInstalled && !stopping) {
    removeSignalHooks();
  }
};

/** Registers a running service group; call the returned function once it has exited. */
export const registerForExit = (registration: Registration): (() => void) => {
  if (!exitHookInstalled) {
    process.on('exit', onExit);
    exitHookInstalled = true;
  }
  registrations.add(registration);
  syncSignalHooks();
  return () => {
    registrations.delete(registration);
    syncSignalHooks();
  };
};
