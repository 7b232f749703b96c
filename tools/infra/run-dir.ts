import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorMessage } from './errors';
import type { Log } from './log';
import { ownerPidOfRunDir, runDirName, stateFilePath } from './paths';
import { isAlive } from './process-control';
import { readStateFile } from './state-file';

/**
 * One folder per run under the state dir: run-<pid>-<timestamp>/{kafka-data,kafka.log,redis-data,redis.log}.
 * Removed on a clean stop; a failed start leaves it (with FAILED inside) for its logs.
 */
export interface RunDir {
  readonly path: string;
  /** Keeps the folder and its logs, and says where they are. */
  markFailed(error: unknown): Promise<void>;
  remove(): Promise<void>;
}

const FAILED_MARKER = 'FAILED';

const exists = async (path: string): Promise<boolean> => {
  try {
    await readdir(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * Removes run folders whose owner process is gone and that `cli up` does not still use
 * (a SIGKILLed owner leaves its folder behind). Of the failed ones, only the newest is kept.
 */
export const pruneRunDirs = async (stateDir: string, log: Log): Promise<void> => {
  let inUse: string | null;
  try {
    inUse = (await readStateFile(stateFilePath(stateDir)))?.runDir ?? null;
  } catch (error) {
    log(`not removing old run folders: ${errorMessage(error)}`);
    return;
  }
  const stale: string[] = [];
  const failed: string[] = [];
  for (const name of await readdir(stateDir)) {
    const owner = ownerPidOfRunDir(name);
    const path = join(stateDir, name);
    if (owner === null || isAlive(owner) || (inUse !== null && resolve(inUse) === resolve(path))) continue;
    ((await exists(join(path, FAILED_MARKER))) ? failed : stale).push(name);
  }
  const byTime = (name: string): string => name.slice(name.indexOf('-', 'run-'.length) + 1);
  failed.sort((a, b) => byTime(a).localeCompare(byTime(b)));
  const removable = [...stale, ...failed.slice(0, -1)];
  await Promise.all(removable.map((name) => rm(join(stateDir, name), { recursive: true, force: true })));
  if (removable.length > 0) log(`removed ${removable.length} folder(s) of earlier runs from ${stateDir}`);
};

export const createRunDir = async (stateDir: string, log: Log): Promise<RunDir> => {
  await mkdir(stateDir, { recursive: true });
  await pruneRunDirs(stateDir, log);
  const path = join(stateDir, runDirName(process.pid, new Date()));
  await mkdir(path, { recursive: true });
  return {
    path,
    markFailed: async (error) => {
      await writeFile(join(path, FAILED_MARKER), `${new Date().toISOString()}\n${errorMessage(error)}\n`);
      log(`logs of this failed run are kept in ${path}`);
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
};
