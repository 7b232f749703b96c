import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const load = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

/** The speed store's Lua scripts, sent once and then called by SHA (ioredis `defineCommand`). */
const scripts = {
  trbApplyBatch: load('apply-batch.lua'),
  trbCut: load('cut.lua'),
  trbInitialize: load('initialize.lua'),
} as const;

type Reply = unknown;
export interface SpeedScripts {
  /** KEYS and ARGV may come as arrays: ioredis flattens them one level. */
  trbApplyBatch(numberOfKeys: number, ...keysAndArgs: Array<string | string[]>): Promise<Reply>;
  trbCut(numberOfKeys: number, ...keysAndArgs: string[]): Promise<Reply>;
  trbInitialize(numberOfKeys: number, ...keysAndArgs: string[]): Promise<Reply>;
}

export function defineSpeedScripts(redis: Redis): Redis & SpeedScripts {
  for (const [name, lua] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { lua });
  }
  return redis as Redis & SpeedScripts;
}
