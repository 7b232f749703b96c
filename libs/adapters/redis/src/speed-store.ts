import { mergeRowsInto, ViewRows, type ViewDefinition } from '@tributary/core';
import type { Redis } from 'ioredis';
import { defineSpeedScripts } from './lua-scripts';
import type { SpeedKeys } from './speed-keys';
import { buildApplyArgs } from './apply-args';
import { RegisterCache } from './register-cache';
import { hashToRows } from './state-fields';

/** 2 048 entries of 16 KiB: 32 MiB at most. */
export const DEFAULT_REGISTER_CACHE_ENTRIES = 2048;

export type PartitionOffsets = Record<string, string>;

/** The published batch version, as the serving API reads it. */
export interface BatchPointer {
  version: string;
  generation: number;
  cut: PartitionOffsets;
  completedAt: string;
}

/** One partition's pre-aggregated Kafka batch. */
export interface SpeedBatch {
  partition: number;
  /** Offset of the first message of the batch (what the store must have as next offset). */
  first: string;
  /** Offset after the last message of the batch. */
  next: string;
  /** The generation the rows were aggregated for (from `generation()` or a "gen" answer). */
  generation: number;
  /** Ids of the events counted in `rows`, with the time (ms) each was received. */
  ids: ReadonlyArray<{ id: string; receivedAt: number }>;
  /** The batch's rows, per view. */
  views: ReadonlyArray<{ view: ViewDefinition; rows: ViewRows }>;
  /** Wall-clock now, for the expiry of the dedup window's sets. */
  now: number;
}

export type ApplyResult =
  | { status: 'ok' }
  | { status: 'lost' }
  | { status: 'gen'; generation: number }
  | { status: 'stale'; storedOffset: string }
  | { status: 'dup'; ids: string[] };

export interface SpeedStore {
  readonly keys: SpeedKeys;
  isInitialized(): Promise<boolean>;
  /** Writes generation, offsets and pointer once, when the marker is absent. */
  initialize(state: { generation: number; offsets: PartitionOffsets; pointer?: BatchPointer; marker: string }): Promise<'initialized' | 'present'>;
  generation(): Promise<number>;
  offsets(): Promise<PartitionOffsets>;
  applyBatch(batch: SpeedBatch): Promise<ApplyResult>;
  /** Counters of the HyperLogLog register cache (see register-cache.ts) since the store was created. */
  registerCacheStats(): RegisterCacheStats;
  /** Records the cut of the current generation and moves to the next one. */
  cut(): Promise<{ generation: number; offsets: PartitionOffsets }>;
  readPointer(): Promise<BatchPointer | undefined>;
  writePointer(pointer: BatchPointer): Promise<void>;
  /** Speed states of `view` in [fromBucket, toBucket) of every generation after `afterGeneration`. */
  readStates(view: ViewDefinition, range: { fromBucket: number; toBucket: number; afterGeneration: number }): Promise<ViewRows>;
  /** Deletes the states of generations <= `generation` for these views. */
  dropGenerations(generation: number, views: readonly string[]): Promise<number>;
  /** Adds ids to the dedup window (e.g. of an ingested file, or when rebuilding a lost store). */
  rememberIds(entries: ReadonlyArray<{ id: string; receivedAt: number }>, now: number): Promise<void>;
  /** A lock one instance holds while it rebuilds a lost store: true when `token` got it. */
  acquireRecoveryLock(token: string, ttlMs: number): Promise<boolean>;
  releaseRecoveryLock(token: string): Promise<void>;
}

export interface RegisterCacheStats {
  /** Register updates sent to Redis. */
  sent: number;
  /** Register updates not sent: the cache knew Redis held that rank or more. */
  skipped: number;
  /** Batches Redis refused because the cache described another store history (then sent in full). */
  fences: number;
  /** (hash, metric, group) entries held now. */
  entries: number;
}

export class SpeedStoreLostError extends Error {
  readonly code = 'TRB_SPEED_STORE_LOST';
  readonly retriable = true;
  constructor() {
    super('Redis lost the speed store (its marker key is gone): the speed layer rebuilds it; retry after that');
  }
}

/**
 * The speed layer's store in Redis: exactly-once application of Kafka batches (offsets live with
 * the states, checked and written in one Lua call), generations and cuts, and the read port.
 * `dedupWindowMs` = 0 turns the speed layer's id deduplication off.
 */
export function createRedisSpeedStore(options: {
  redis: Redis;
  keys: SpeedKeys;
  topic: string;
  dedupWindowMs: number;
  /** Size of the HyperLogLog register cache in (hash, metric, group) entries of 16 KiB; 0 turns it off. */
  registerCacheEntries?: number;
}): SpeedStore {
  const { keys, topic, dedupWindowMs } = options;
  const redis = defineSpeedScripts(options.redis);
  const cache = new RegisterCache(options.registerCacheEntries ?? DEFAULT_REGISTER_CACHE_ENTRIES);

  return {
    keys,
    isInitialized: async () => (await redis.exists(keys.marker)) === 1,

    async initialize({ generation, offsets, pointer, marker }) {
      const reply = await redis.trbInitialize(
        4,
        keys.marker,
        keys.generation,
        keys.offsets(topic),
        keys.pointer,
        marker,
        String(generation),
        JSON.stringify(offsets),
        pointer ? JSON.stringify(pointer) : '',
      );
      return reply === 'initialized' ? 'initialized' : 'present';
    },

    generation: async () => Number((await redis.get(keys.generation)) ?? 0),
    offsets: async () => redis.hgetall(keys.offsets(topic)),

    async applyBatch(batch) {
      for (;;) {
        const { keys: callKeys, args, pending } = buildApplyArgs(batch, { keys, topic, dedupWindowMs, cache });
        const reply = (await redis.trbApplyBatch(callKeys.length, callKeys, args)) as string[];
        switch (reply[0]) {
          case 'ok': {
            const marker = String(reply[1]);
            if (pending !== undefined) {
              cache.sent += pending.sent;
              cache.skipped += pending.skipped;
            }
            if (cache.epoch !== undefined && cache.epoch !== marker) cache.clear();
            else if (pending !== undefined && pending.version === cache.version) {
              cache.epoch = marker;
              pending.commit();
              const partition = String(batch.partition);
              const next = Number(batch.next);
              if (!((cache.watermarks.get(partition) ?? -1) >= next)) cache.watermarks.set(partition, next);
            }
            return { status: 'ok' };
          }
          case 'fence':
            // The store is not the one the cache describes (rebuilt, or gone back in time).
            cache.clear();
            cache.fences++;
            continue;
          case 'lost':
            cache.clear();
            return { status: 'lost' };
          case 'gen':
            cache.clear();
            return { status: 'gen', generation: Number(reply[1]) };
          case 'stale':
            cache.clear();
            return { status: 'stale', storedOffset: String(reply[1]) };
          case 'dup':
            return { status: 'dup', ids: [...new Set(reply.slice(1))] };
          default:
            throw new Error(`apply-batch answered ${JSON.stringify(reply)}`);
        }
      }
    },

    registerCacheStats: () => ({ sent: cache.sent, skipped: cache.skipped, fences: cache.fences, entries: cache.size }),

    async cut() {
      const reply = (await redis.trbCut(4, keys.marker, keys.generation, keys.offsets(topic), keys.cuts(topic))) as string[];
      if (reply[0] !== 'ok') throw new SpeedStoreLostError();
      return { generation: Number(reply[1]), offsets: JSON.parse(String(reply[2])) as PartitionOffsets };
    },

    async readPointer() {
      const json = await redis.get(keys.pointer);
      return json ? (JSON.parse(json) as BatchPointer) : undefined;
    },
    writePointer: async (pointer) => void (await redis.set(keys.pointer, JSON.stringify(pointer))),

    async readStates(view, { fromBucket, toBucket, afterGeneration }) {
      const current = await this.generation();
      const generations: number[] = [];
      for (let g = afterGeneration + 1; g <= current; g++) generations.push(g);
      if (generations.length === 0) return new ViewRows(view.dimensions.length);
      const indexReplies = await generations
        .reduce((p, g) => p.smembers(keys.bucketIndex(view.name, g)), redis.pipeline())
        .exec();
      const wanted: Array<{ generation: number; bucket: number }> = [];
      generations.forEach((generation, i) => {
        const members = (indexReplies?.[i]?.[1] ?? []) as string[];
        for (const member of members) {
          const bucket = Number(member);
          if (bucket >= fromBucket && bucket < toBucket) wanted.push({ generation, bucket });
        }
      });
      if (wanted.length === 0) return new ViewRows(view.dimensions.length);
      const hashes = await wanted.reduce((p, w) => p.hgetall(keys.bucketStates(view.name, w.generation, w.bucket)), redis.pipeline()).exec();
      const rows = new ViewRows(view.dimensions.length);
      wanted.forEach((w, i) => {
        const [err, hash] = hashes?.[i] ?? [];
        if (err) throw err;
        mergeRowsInto(view, rows, hashToRows(view, w.bucket, hash as Record<string, string>));
      });
      return rows;
    },

    async dropGenerations(generation, views) {
      const cleaned = Number((await redis.get(keys.cleaned)) ?? 0);
      let deleted = 0;
      for (let g = cleaned + 1; g <= generation; g++) {
        for (const view of views) {
          const indexKey = keys.bucketIndex(view, g);
          const buckets = await redis.smembers(indexKey);
          const stateKeys = buckets.map((b) => keys.bucketStates(view, g, Number(b)));
          for (let i = 0; i < stateKeys.length; i += 500) deleted += await redis.unlink(...stateKeys.slice(i, i + 500));
          await redis.unlink(indexKey);
        }
        await redis.set(keys.cleaned, String(g));
      }
      return deleted;
    },

    async rememberIds(entries, now) {
      if (dedupWindowMs <= 0 || entries.length === 0) return;
      const bySlice = new Map<number, string[]>();
      for (const { id, receivedAt } of entries) {
        const slice = Math.floor(receivedAt / dedupWindowMs);
        const list = bySlice.get(slice);
        if (list) list.push(id);
        else bySlice.set(slice, [id]);
      }
      const pipeline = redis.pipeline();
      for (const [slice, ids] of bySlice) {
        const key = keys.seen(slice);
        for (let i = 0; i < ids.length; i += 5000) pipeline.sadd(key, ...ids.slice(i, i + 5000));
        pipeline.pexpireat(key, Math.max((slice + 2) * dedupWindowMs, now) + dedupWindowMs);
      }
      const replies = await pipeline.exec();
      const failed = replies?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    },

    acquireRecoveryLock: async (token, ttlMs) => (await redis.set(keys.recovery, token, 'PX', ttlMs, 'NX')) === 'OK',
    async releaseRecoveryLock(token) {
      await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, keys.recovery, token);
    },
  };
}
