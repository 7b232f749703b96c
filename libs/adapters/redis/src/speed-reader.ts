import type { ViewDefinition, ViewRows } from '@tributary/core';
import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import type { SpeedKeys } from './speed-keys';
import type { BatchPointer } from './speed-store';
import { hashToRows } from './state-fields';

/** What a query reads first: the batch pointer and the speed snapshot, at one instant. */
export interface ServingState {
  pointer: BatchPointer | undefined;
  /**
   * Changes whenever the speed states may have changed: the store's marker, generation and
   * per-partition offsets (the speed layer writes the offsets in the same Lua call as the states).
   */
  snapshot: string;
  /** The current generation g (the snapshot's). */
  generation: number;
}

/** The speed states of one (generation, bucket) hash. `id` changes whenever its content does. */
export interface SpeedStatePart {
  readonly id: string;
  readonly generation: number;
  readonly bucket: number;
  /** Decoded rows of the hash; shared with later reads: do not change them. */
  readonly rows: ViewRows;
}

/**
 * The serving API's read side of the speed store, built for repeated queries:
 *
 * - `readServingState`: pointer, marker, generation and offsets in one Lua call (one round trip).
 * - `readStateParts`: the view's bucket hashes of generations (afterGeneration, throughGeneration],
 *   one part per hash. The Lua call returns a hash's fields only when its DUMP digest differs from
 *   the one this reader holds, so a query after one applied Kafka batch transfers and decodes only
 *   the hashes that batch touched; the others come from the cache (`cacheEntries` hashes, LRU).
 *   Decoded parts equal what `readStates` decodes (same `hashToRows`). On a Redis that refuses DUMP
 *   (renamed or denied by ACL) it reads every hash every time instead, with ids that never repeat.
 */
export interface SpeedReader {
  readServingState(): Promise<ServingState>;
  readStateParts(view: ViewDefinition, range: { fromBucket: number; toBucket: number; afterGeneration: number; throughGeneration: number }): Promise<SpeedStatePart[]>;
}

const lua = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
const scripts = { trbReadServing: lua('read-serving.lua'), trbReadParts: lua('read-parts.lua') } as const;

interface ReaderScripts {
  trbReadServing(numberOfKeys: number, ...keys: string[]): Promise<unknown>;
  trbReadParts(numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

export function createSpeedReader(options: { redis: Redis; keys: SpeedKeys; topic: string; cacheEntries?: number }): SpeedReader {
  const { keys, topic } = options;
  const redis = options.redis as Redis & ReaderScripts;
  for (const [name, source] of Object.entries(scripts)) if (!(name in redis)) redis.defineCommand(name, { lua: source });
  const capacity = Math.max(1, options.cacheEntries ?? 20_000);
  // hash key (it names the view, generation and bucket) -> its digest and decoded rows
  const parts = new Map<string, { digest: string; part: SpeedStatePart }>();

  let digests = true;
  let plainReads = 0;
  const remember = (key: string, entry: { digest: string; part: SpeedStatePart }) => {
    parts.delete(key);
    parts.set(key, entry);
    if (parts.size > capacity) parts.delete(parts.keys().next().value as string);
  };

  return {
    async readServingState() {
      const [pointer, marker, generation, offsets] = (await redis.trbReadServing(4, keys.pointer, keys.marker, keys.generation, keys.offsets(topic))) as [
        string | null,
        string | null,
        string | null,
        string[],
      ];
      const pairs: Array<[number, string]> = [];
      for (let i = 0; i + 1 < offsets.length; i += 2) pairs.push([Number(offsets[i]), offsets[i + 1] as string]);
      pairs.sort((a, b) => a[0] - b[0]);
      return {
        pointer: pointer ? (JSON.parse(pointer) as BatchPointer) : undefined,
        snapshot: JSON.stringify([marker, generation, pairs]),
        generation: Number(generation ?? 0),
      };
    },

    async readStateParts(view, { fromBucket, toBucket, afterGeneration, throughGeneration }) {
      const generations: number[] = [];
      for (let g = afterGeneration + 1; g <= throughGeneration; g++) generations.push(g);
      if (generations.length === 0) return [];
      const indexReplies = await generations.reduce((p, g) => p.smembers(keys.bucketIndex(view.name, g)), redis.pipeline()).exec();
      const wanted: Array<{ generation: number; bucket: number; key: string }> = [];
      generations.forEach((generation, i) => {
        const [err, members] = indexReplies?.[i] ?? [];
        if (err) throw err;
        for (const member of (members ?? []) as string[]) {
          const bucket = Number(member);
          if (bucket < fromBucket || bucket >= toBucket) continue;
          wanted.push({ generation, bucket, key: keys.bucketStates(view.name, generation, bucket) });
        }
      });
      if (wanted.length === 0) return [];
      // What this reader holds when it asks (concurrent reads may replace entries meanwhile).
      const held = wanted.map((w) => parts.get(w.key));
      let replies: Array<[string, string[]?]> | undefined;
      if (digests) {
        try {
          replies = (await redis.trbReadParts(wanted.length, ...wanted.map((w) => w.key), ...held.map((h) => h?.digest ?? ''))) as Array<[string, string[]?]>;
        } catch (err) {
          if (!/\bDUMP\b|unknown command|NOPERM/i.test((err as Error).message)) throw err;
          digests = false; // a Redis without DUMP (renamed or denied): read every hash every time
        }
      }
      if (replies === undefined) {
        const hashes = await wanted.reduce((p, w) => p.hgetall(w.key), redis.pipeline()).exec();
        const read = ++plainReads;
        return wanted.flatMap((w, i) => {
          const [err, hash] = hashes?.[i] ?? [];
          if (err) throw err;
          const fields = (hash ?? {}) as Record<string, string>;
          if (Object.keys(fields).length === 0) return [];
          return [{ id: `${w.key}\u0000read ${read}`, generation: w.generation, bucket: w.bucket, rows: hashToRows(view, w.bucket, fields) }];
        });
      }
      const out: SpeedStatePart[] = [];
      wanted.forEach((w, i) => {
        const [digest, fields] = replies[i] ?? [''];
        if (digest === '') return; // dropped since the index was read
        const mine = held[i];
        if (fields === undefined && mine !== undefined && mine.digest === digest) {
          remember(w.key, mine);
          out.push(mine.part);
          return;
        }
        if (fields === undefined) throw new Error(`read-parts answered no fields for ${w.key} with an unknown digest`);
        const hash: Record<string, string> = {};
        for (let f = 0; f + 1 < fields.length; f += 2) hash[fields[f] as string] = fields[f + 1] as string;
        const part: SpeedStatePart = { id: `${w.key}\u0000${digest}`, generation: w.generation, bucket: w.bucket, rows: hashToRows(view, w.bucket, hash) };
        remember(w.key, { digest, part });
        out.push(part);
      });
      return out;
    },
  };
}
