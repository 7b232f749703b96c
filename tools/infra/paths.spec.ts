import { describe, expect, it } from 'vitest';
import { kafkaCacheDir, ownerPidOfRunDir, runDirName } from './paths';

describe('kafkaCacheDir', () => {
  it('follows XDG_CACHE_HOME', () => {
    expect(kafkaCacheDir('3.9.1', { XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/tributary/kafka-3.9.1');
  });

  it('falls back to $HOME/.cache, then to the home directory', () => {
    expect(kafkaCacheDir('3.9.1', { XDG_CACHE_HOME: ' ', HOME: '/home/u' })).toBe('/home/u/.cache/tributary/kafka-3.9.1');
    expect(kafkaCacheDir('3.9.1', {}, '/home/v')).toBe('/home/v/.cache/tributary/kafka-3.9.1');
  });
});

describe('run folder names', () => {
  it('carry the owner pid and sort by time', () => {
    const name = runDirName(4242, new Date('2026-01-02T03:04:05.678Z'));
    expect(name).toBe('run-4242-20260102-030405678');
    expect(ownerPidOfRunDir(name)).toBe(4242);
  });

  it('ignore names that are not run folders', () => {
    expect(ownerPidOfRunDir('infra.json')).toBeNull();
    expect(ownerPidOfRunDir('run-x-20260102-030405678')).toBeNull();
  });
});
