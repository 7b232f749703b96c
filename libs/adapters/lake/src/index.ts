export { lakePaths, type LakePaths } from './lake-paths';
export { readCurrentVersion, writeCurrentVersion, writeFileAtomic, type CurrentVersion } from './current-version';
export { decodeSegmentRecord, encodeSegmentRecord, parseSegmentName, recordText, type SegmentRecord } from './segment-codec';
export { listArchivedPartitions, listSegments, readSegment } from './segment-reader';
export { archivedNextOffset, fsyncDir, removeSegmentTempFiles, writeSegment } from './segment-writer';
export { lakeExtras, type LakeExtras, type NormalizedCachePaths } from './lake-extras';
export { claimLakeForCluster, lakeClusterFile, LakeClusterMismatchError, type LakeCluster } from './lake-cluster';
