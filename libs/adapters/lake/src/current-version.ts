import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LakePaths } from './lake-paths';

/** `views/CURRENT.json`: the published batch version and the cut it covers. */
export interface CurrentVersion {
  version: string;
  /** Speed generations <= this are covered by the version. */
  generation: number;
  /** Per partition of the events topic: offsets below are in the version. */
  cut: Record<string, string>;
  topic: string;
  completedAt: string;
}

/** The published version, or undefined before the first batch run. */
export async function readCurrentVersion(paths: LakePaths): Promise<CurrentVersion | undefined> {
  let text: string;
  try {
    text = await readFile(paths.current, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as CurrentVersion;
  } catch (err) {
    throw new Error(`${paths.current} is not valid JSON: restore it from the newest views/<version>/manifest.json`, { cause: err });
  }
}

/** Replaces a file atomically: write a temp file, fsync it, rename it over, fsync the folder. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function writeCurrentVersion(paths: LakePaths, current: CurrentVersion): Promise<void> {
  await writeFileAtomic(paths.current, `${JSON.stringify(current, null, 2)}\n`);
}
