import { join, resolve } from 'node:path';

/**
 * The layout of the lake (LAKE_DIR), built here and nowhere else:
 *
 *   inbox/                                   files dropped by operators (CONTRACT.md §5)
 *   raw/kafka/topic=<t>/partition=<p>/<first>-<last>.ndjson   archived Kafka segments
 *   raw/files/                               ingested files, moved from the inbox
 *   rejected/<file>.errors.ndjson            rejected rows of an ingested file
 *   views/<version>/                         one batch version: <view>.parquet + manifest.json
 *   views/CURRENT.json                       the published batch version
 */
export interface LakePaths {
  readonly root: string;
  readonly inbox: string;
  readonly rawFiles: string;
  readonly rejected: string;
  readonly views: string;
  readonly current: string;
  kafkaPartition(topic: string, partition: number): string;
  segment(topic: string, partition: number, first: string, last: string): string;
  version(version: string): string;
}

export function lakePaths(lakeDir: string): LakePaths {
  const root = resolve(lakeDir);
  const kafkaTopic = (topic: string) => join(root, 'raw', 'kafka', `topic=${topic}`);
  return {
    root,
    inbox: join(root, 'inbox'),
    rawFiles: join(root, 'raw', 'files'),
    rejected: join(root, 'rejected'),
    views: join(root, 'views'),
    current: join(root, 'views', 'CURRENT.json'),
    kafkaPartition: (topic, partition) => join(kafkaTopic(topic), `partition=${partition}`),
    segment: (topic, partition, first, last) => join(kafkaTopic(topic), `partition=${partition}`, `${first}-${last}.ndjson`),
    version: (version) => join(root, 'views', version),
  };
}
