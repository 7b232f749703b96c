import { archivedNextOffset, type LakePaths } from '@tributary/adapter-lake';
import type { PartitionOffsets } from '@tributary/adapter-redis';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchRetriableError } from './batch-errors';

/**
 * Waits until the archive on disk holds every offset below the cut, asking the local archiver (when
 * this process runs one) to write what it buffers. Throws a retriable error after `timeoutMs`.
 */
export async function waitForArchive(options: {
  paths: LakePaths;
  topic: string;
  cut: PartitionOffsets;
  flush?: () => Promise<unknown>;
  timeoutMs: number;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let missing: string[] = [];
  for (;;) {
    await options.flush?.();
    missing = [];
    for (const [partition, offset] of Object.entries(options.cut)) {
      const archived = await archivedNextOffset(options.paths, options.topic, Number(partition));
      if (archived < BigInt(offset)) missing.push(`partition ${partition}: archived up to ${archived}, cut at ${offset}`);
    }
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      throw new BatchRetriableError(
        'TRB_BATCH_ARCHIVE_BEHIND',
        `the archive does not hold every offset below the cut after ${options.timeoutMs} ms (${missing.join('; ')}): is the batch layer's archiver running?`,
      );
    }
    await sleep(200);
  }
}
