import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakePaths } from './lake-paths';
import { listSegments } from './segment-reader';

/** Prefix of a segment being written; `listSegments` never sees these names. */
const TEMP_PREFIX = '.writing-';

/**
 * The next offset to archive for a partition: the highest `last + 1` of its segments on disk
 * (offsets live with the data), 0 when none is archived yet.
 */
export async function archivedNextOffset(paths: LakePaths, topic: string, partition: number): Promise<bigint> {
  const segments = await listSegments(paths, topic, partition);
  const last = segments.at(-1);
  return last === undefined ? 0n : last.range.last + 1n;
}

/**
 * Writes one segment durably and atomically: the lines go to a temp file in the partition folder,
 * which is fsynced, renamed to `<first>-<last>.ndjson` and the folder fsynced. A crash leaves either
 * the whole segment or only a temp file (removed by `removeSegmentTempFiles`), never half a segment.
 */
export async function writeSegment(
  paths: LakePaths,
  topic: string,
  partition: number,
  segment: { first: string; last: string; lines: readonly string[] },
): Promise<string> {
  const dir = paths.kafkaPartition(topic, partition);
  await mkdir(dir, { recursive: true });
  const target = paths.segment(topic, partition, segment.first, segment.last);
  const temp = join(dir, `${TEMP_PREFIX}${segment.first}-${segment.last}.${process.pid}`);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(segment.lines.length === 0 ? '' : `${segment.lines.join('\n')}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, target);
  await fsyncDir(dir);
  return target;
}

/** Removes temp files a killed writer left in a partition folder; returns how many. */
export async function removeSegmentTempFiles(paths: LakePaths, topic: string, partition: number): Promise<number> {
  const dir = paths.kafkaPartition(topic, partition);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const temps = names.filter((n) => n.startsWith(TEMP_PREFIX));
  await Promise.all(temps.map((n) => rm(join(dir, n), { force: true })));
  return temps.length;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
