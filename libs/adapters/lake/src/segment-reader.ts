import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeSegmentRecord, parseSegmentName, type SegmentRecord } from './segment-codec';
import type { LakePaths } from './lake-paths';

/** The archived segments of one partition, in offset order. */
export async function listSegments(paths: LakePaths, topic: string, partition: number) {
  const dir = paths.kafkaPartition(topic, partition);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((name) => ({ name, path: join(dir, name), range: parseSegmentName(name) }))
    .filter((s): s is { name: string; path: string; range: { first: bigint; last: bigint } } => s.range !== undefined)
    .sort((a, b) => (a.range.first < b.range.first ? -1 : 1));
}

/** The partitions of a topic that have an archive folder. */
export async function listArchivedPartitions(paths: LakePaths, topic: string): Promise<number[]> {
  const dir = join(paths.root, 'raw', 'kafka', `topic=${topic}`);
  try {
    return (await readdir(dir))
      .map((n) => /^partition=(\d+)$/.exec(n)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Streams the records of one segment file, line by line (never the whole file in memory). */
export async function* readSegment(path: string): AsyncGenerator<SegmentRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0) yield decodeSegmentRecord(line);
  }
}
