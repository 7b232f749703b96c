import { spawn } from 'node:child_process';
import { signalGroup } from './process-control';

export interface WatchdogTarget {
  /** The Node process that owns the service. */
  readonly ownerPid: number;
  /** The service's pid, which is also its process group id (it was spawned detached). */
  readonly pgid: number;
  /** How long the service gets between SIGTERM and SIGKILL. */
  readonly graceSeconds: number;
}

const assertPid = (value: number, what: string): void => {
  if (!Number.isInteger(value) || value <= 1) throw new Error(`watchdog: ${what} must be a pid, got ${value}`);
};

/**
 * A POSIX sh script that waits while both the owner and the service live. If the owner dies first
 * (even by SIGKILL) it stops the service's group: SIGTERM, then SIGKILL after the grace period.
 * If the service stops first, it simply exits.
 */
export const renderWatchdogScript = ({ ownerPid, pgid, graceSeconds }: WatchdogTarget): string => {
  assertPid(ownerPid, 'ownerPid');
  assertPid(pgid, 'pgid');
  const grace = Math.max(1, Math.ceil(graceSeconds));
  return [
    // kill -0 also succeeds for zombies, which a non-reaping pid 1 (containers) leaves behind: check /proc too.
    'alive() {',
    '  kill -0 "$1" 2>/dev/null || return 1',
    '  [ -r "/proc/$1/stat" ] || return 0',
    '  read -r stat < "/proc/$1/stat" || return 1',
    '  case "${stat##*") "}" in Z*) return 1 ;; esac',
    '}',
    `while alive ${ownerPid} && alive ${pgid}; do sleep 1; done`,
    `alive ${pgid} || exit 0`,
    `kill -TERM -${pgid} 2>/dev/null`,
    'i=0',
    `while [ "$i" -lt ${grace} ] && alive ${pgid}; do sleep 1; i=$((i + 1)); done`,
    `kill -KILL -${pgid} 2>/dev/null`,
    'exit 0',
  ].join('\n');
};

export interface Watchdog {
  /** Its pid, also its process group id. */
  readonly pid: number;
  /** Ends the watchdog (and its `sleep`) unless it has already exited; used when the service is stopped on purpose. */
  stop(): void;
}

/**
 * Starts the watchdog in its own process group, detached and unreferenced, so it survives its owner.
 * Returns null if `sh` could not be started.
 */
export const spawnWatchdog = (target: WatchdogTarget): Watchdog | null => {
  const child = spawn('sh', ['-c', renderWatchdogScript(target), 'tributary-infra-watchdog'], {
    detached: true,
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.on('error', () => undefined); // a missing `sh` leaves pid undefined, reported by the caller
  child.unref();
  const pid = child.pid;
  if (pid === undefined) return null;
  return {
    pid,
    stop: () => {
      if (!exited) signalGroup(pid, 'SIGKILL');
    },
  };
};
