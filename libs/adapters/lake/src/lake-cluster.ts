import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LakePaths } from './lake-paths';

/** `raw/kafka/cluster.json`: the Kafka cluster whose offsets the lake's segments and cuts are. */
export interface LakeCluster {
  clusterId: string;
  claimedAt: string;
}

export class LakeClusterMismatchError extends Error {
  readonly code = 'TRB_LAKE_OTHER_CLUSTER';
  override readonly name = 'LakeClusterMismatchError';
}

export const lakeClusterFile = (paths: LakePaths): string => join(paths.root, 'raw', 'kafka', 'cluster.json');

/**
 * Binds the lake to one Kafka cluster, or checks that it is bound to this one. Archived segments and
 * batch cuts are Kafka offsets: against another cluster they name other messages (or none), so the
 * archiver would leave gaps and a rebuild would replay the wrong events. The first process to start
 * claims the lake (atomically: a hard link that fails when the file exists); every later start of
 * any app compares, and refuses to run against another cluster with a message that says what to do.
 */
export async function claimLakeForCluster(paths: LakePaths, clusterId: string, now: () => Date = () => new Date()): Promise<'claimed' | 'same'> {
  const file = lakeClusterFile(paths);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${randomUUID()}`;
  const claim: LakeCluster = { clusterId, claimedAt: now().toISOString() };
  await writeFile(temp, `${JSON.stringify(claim)}\n`, { flush: true });
  try {
    await link(temp, file);
    return 'claimed';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(temp, { force: true });
  }
  let bound: LakeCluster;
  try {
    bound = JSON.parse(await readFile(file, 'utf8')) as LakeCluster;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: it names the Kafka cluster this lake belongs to; restore it, or delete it if you are sure the lake belongs to cluster ${clusterId}`, { cause: err });
  }
  if (bound.clusterId === clusterId) return 'same';
  throw new LakeClusterMismatchError(
    `LAKE_DIR ${paths.root} holds the archive of Kafka cluster ${bound.clusterId} (since ${bound.claimedAt}), but KAFKA_BROKERS points at cluster ${clusterId}: ` +
      'its segments and batch cuts are offsets of the other cluster and mean nothing here. Point LAKE_DIR at a new folder for this cluster, or KAFKA_BROKERS back at the cluster the lake belongs to.',
  );
}
