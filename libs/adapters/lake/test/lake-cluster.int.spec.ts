import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimLakeForCluster, lakeClusterFile, LakeClusterMismatchError } from '../src/lake-cluster';
import { lakePaths, type LakePaths } from '../src/lake-paths';

describe('claimLakeForCluster (real files)', () => {
  let dir: string;
  let paths: LakePaths;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-lake-cluster-'));
    paths = lakePaths(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('binds a fresh lake to the first cluster, then accepts that cluster again', async () => {
    expect(await claimLakeForCluster(paths, 'cluster-a')).toBe('claimed');
    expect(JSON.parse(await readFile(lakeClusterFile(paths), 'utf8'))).toMatchObject({ clusterId: 'cluster-a' });
    expect(await claimLakeForCluster(paths, 'cluster-a')).toBe('same');
  });

  it('refuses another cluster, saying what to do', async () => {
    await claimLakeForCluster(paths, 'cluster-a');
    const refused = claimLakeForCluster(paths, 'cluster-b');
    await expect(refused).rejects.toBeInstanceOf(LakeClusterMismatchError);
    await expect(refused).rejects.toThrow(/cluster cluster-a .*cluster cluster-b.*Point LAKE_DIR at a new folder/);
  });

  it('lets concurrent claims of one cluster agree: exactly one claims', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => claimLakeForCluster(paths, 'cluster-a')));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
  });

  it('names a damaged file instead of guessing', async () => {
    await claimLakeForCluster(paths, 'cluster-a');
    await writeFile(lakeClusterFile(paths), '{not json');
    await expect(claimLakeForCluster(paths, 'cluster-a')).rejects.toThrow(/cluster.json is not valid JSON/);
  });
});
