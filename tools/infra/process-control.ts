import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { sleep } from './poll';

const isZombie = (pid: number): boolean => {
  try {
    // /proc/<pid>/stat: "<pid> (<comm>) <state> ..."; comm may contain spaces, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false; // no /proc (macOS) or the process is already gone: kill(0) decides
  }
};

/** True while `pid` exists and is not a zombie (EPERM counts as alive: it exists, it is not ours). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
};

/** Sends `signal` to the whole process group led by `pgid`; false if the group no longer exists. */
export const signalGroup = (pgid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

/**
 * The argv of `pid`: exact from /proc on Linux, else split on blanks from `ps` (macOS). null if unknown.
 */
export const readCommandLine = (pid: number): string[] | null => {
  if (existsSync('/proc/self/cmdline')) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
    } catch {
      return null; // gone meanwhile
    }
  }
  try {
    const line = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return line === '' ? null : line.split(/\s+/);
  } catch {
    return null; // ps exits 1 when the pid does not exist
  }
};

/** Polls every 100 ms until `pid` is gone; false if it is still alive at `deadline`. */
export const waitUntilGone = async (pid: number, deadline: number): Promise<boolean> => {
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
};

/**
 * Stops a process group we do not hold a ChildProcess for (the CLI's `down`): SIGTERM to the group,
 * SIGKILL after `graceMs`. Resolves to how it ended.
 */
export const stopGroupByPid = async (pid: number, graceMs: number): Promise<'not-running' | 'stopped' | 'killed'> => {
  if (!isAlive(pid) || !signalGroup(pid, 'SIGTERM')) return 'not-running';
  if (await waitUntilGone(pid, Date.now() + graceMs)) return 'stopped';
  signalGroup(pid, 'SIGKILL');
  await waitUntilGone(pid, Date.now() + 5_000);
  return 'killed';
};
