import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file lives in <root>/tools/infra. */
export const repoRoot = (): string => resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** Where runs keep their data and logs, and where the CLI writes infra.json (git-ignored). */
export const defaultStateDir = (): string => join(repoRoot(), '.tributary');

export const stateFilePath = (stateDir: string): string => join(stateDir, 'infra.json');

export const kafkaPomPath = (): string => join(repoRoot(), 'infra', 'kafka', 'pom.xml');

/**
 * The jar cache, outside the repo so every clone shares it:
 * ${XDG_CACHE_HOME:-$HOME/.cache}/tributary/kafka-<version>.
 */
export const kafkaCacheDir = (
  kafkaVersion: string,
  env: Readonly<Record<string, string | undefined>>,
  home: string = homedir(),
): string => {
  const xdg = env['XDG_CACHE_HOME'];
  const cacheRoot = xdg !== undefined && xdg.trim() !== '' ? xdg : join(env['HOME'] ?? home, '.cache');
  return join(cacheRoot, 'tributary', `kafka-${kafkaVersion}`);
};

/** run-<pid>-<timestamp>: one folder per run so concurrent runs never share files. */
export const runDirName = (pid: number, now: Date): string =>
  `run-${pid}-${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').replace('Z', '')}`;

/** The owner pid encoded in a run folder's name, or null if the name is not one of ours. */
export const ownerPidOfRunDir = (name: string): number | null => {
  const match = /^run-(\d+)-\d{8}-\d{9}$/.exec(name);
  return match?.[1] === undefined ? null : Number(match[1]);
};
