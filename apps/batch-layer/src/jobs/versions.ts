import { fsyncDir, type CurrentVersion, type LakePaths } from '@tributary/adapter-lake';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A batch version's name: its generation (zero-padded, so names sort in publication order) and the
 * time the run started, e.g. `g000000042-20261123T101530123Z`.
 */
export function versionName(generation: number, startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  return `g${String(generation).padStart(9, '0')}-${stamp}`;
}

const VERSION = /^g\d{9}-\d{8}T\d{9}Z$/;
export const isVersionName = (name: string): boolean => VERSION.test(name);

/** The folder a version is built in before it is renamed into place. */
export const stagingName = (version: string): string => `.staging-${version}`;

/**
 * What to delete in `views/`: versions beyond the newest `keep` (never the published one) and
 * staging folders of runs that died (never the one being built now).
 */
export function versionsToDelete(entries: readonly string[], keep: number, current: string | undefined, building?: string): string[] {
  const versions = entries.filter(isVersionName).sort().reverse();
  const old = versions.slice(keep).filter((v) => v !== current);
  const staging = entries.filter((e) => e.startsWith('.staging-') && e !== building);
  return [...old, ...staging];
}

/** Moves a fully written staging folder to `views/<version>/` (atomic rename), durably. */
export async function commitVersionDir(paths: LakePaths, staging: string, version: string): Promise<void> {
  await rename(staging, paths.version(version));
  await fsyncDir(paths.views);
}

export async function pruneVersions(paths: LakePaths, keep: number, current: CurrentVersion | undefined, building?: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(paths.views);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const doomed = versionsToDelete(entries, keep, current?.version, building);
  for (const name of doomed) await rm(join(paths.views, name), { recursive: true, force: true });
  return doomed;
}
