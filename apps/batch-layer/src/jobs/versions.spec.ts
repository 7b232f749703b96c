import { describe, expect, it } from 'vitest';
import { isVersionName, stagingName, versionName, versionsToDelete } from './versions';

describe('batch versions', () => {
  it('are named by generation then start time, and sort in publication order', () => {
    const a = versionName(7, Date.UTC(2026, 10, 23, 10, 15, 30, 123));
    expect(a).toBe('g000000007-20261123T101530123Z');
    expect(isVersionName(a)).toBe(true);
    expect(isVersionName('CURRENT.json')).toBe(false);
    expect(versionName(10, 0) > versionName(9, Date.UTC(2030, 0, 1))).toBe(true);
  });

  it('keeps the newest N and the published one, and removes dead staging folders', () => {
    const v = (g: number) => versionName(g, 0);
    const entries = [v(1), v(2), v(3), v(4), 'CURRENT.json', stagingName(v(5)), stagingName(v(6))];
    expect(versionsToDelete(entries, 2, v(4), stagingName(v(6))).sort()).toEqual([v(1), v(2), stagingName(v(5))].sort());
    expect(versionsToDelete(entries, 2, v(1)).sort()).toEqual([v(2), stagingName(v(5)), stagingName(v(6))].sort());
  });
});
