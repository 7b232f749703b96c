import { join } from 'node:path';
import type { LakePaths } from './lake-paths';

/**
 * Places in the lake besides those of `lakePaths`, built here and nowhere else:
 *
 *   raw/file-meta/<file>.json                   how and when an ingested file was ingested (its
 *                                               "received" time, needed to validate it again)
 *   raw/file-ids/<file>.ids.ndjson              the ids of its valid rows, one JSON string a line:
 *                                               what the speed layer's dedup window is reseeded
 *                                               with when Redis loses its data
 *   cache/normalized/<key>/kafka/topic=<t>/partition=<p>/<first>-<last>.parquet
 *   cache/normalized/<key>/files/<file>.parquet the normalized events of an immutable input, with
 *                                               `.meta.json` next to each (record counts)
 *   tmp/                                        scratch space (DuckDB spills, staging)
 *
 * `<key>` is the normalization key: a change of the normalization code or of the rules that decide
 * validity yields a new key, so the cache rebuilds itself.
 */
export interface LakeExtras {
  readonly fileMeta: string;
  readonly fileIds: string;
  readonly normalizedRoot: string;
  readonly tmp: string;
  fileMetaOf(file: string): string;
  fileIdsOf(file: string): string;
  normalized(key: string): NormalizedCachePaths;
}

export interface NormalizedCachePaths {
  readonly root: string;
  segment(topic: string, partition: number, first: string, last: string): string;
  file(name: string): string;
}

export function lakeExtras(paths: LakePaths): LakeExtras {
  const normalizedRoot = join(paths.root, 'cache', 'normalized');
  const fileMeta = join(paths.root, 'raw', 'file-meta');
  const fileIds = join(paths.root, 'raw', 'file-ids');
  return {
    fileMeta,
    fileIds,
    normalizedRoot,
    tmp: join(paths.root, 'tmp'),
    fileMetaOf: (file) => join(fileMeta, `${file}.json`),
    fileIdsOf: (file) => join(fileIds, `${file}.ids.ndjson`),
    normalized(key) {
      const root = join(normalizedRoot, key);
      return {
        root,
        segment: (topic, partition, first, last) => join(root, 'kafka', `topic=${topic}`, `partition=${partition}`, `${first}-${last}.parquet`),
        file: (name) => join(root, 'files', `${name}.parquet`),
      };
    },
  };
}
