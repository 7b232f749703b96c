import { encodeGroupKey, type AvgState, type HyperLogLog, type MetricState } from '@tributary/core';
import { PendingRanks, type RegisterCache } from './register-cache';
import type { SpeedKeys } from './speed-keys';
import type { SpeedBatch } from './speed-store';

/** KEYS and ARGV of one apply-batch.lua call (layout: see the script's header). */
export interface ApplyArgs {
  keys: string[];
  args: string[];
  /** Register updates sent, for the cache once the call answers "ok". */
  pending: PendingRanks | undefined;
}

interface HashUpdates {
  hashIndex: number;
  indexIndex: number;
  bucket: number;
  scalars: string[];
  registerFields: string[];
  registerRanks: string[];
}

/**
 * Builds the flat KEYS/ARGV of apply-batch.lua for `batch`: the fence (expected marker and this
 * process' watermarks when `cache` has an epoch), the dedup groups, then per view-bucket hash its
 * scalar updates (field, op, value) and its HyperLogLog registers (fields, then ranks) — those
 * that can raise a register as far as `cache` knows.
 */
export function buildApplyArgs(
  batch: SpeedBatch,
  options: { keys: SpeedKeys; topic: string; dedupWindowMs: number; cache: RegisterCache | undefined },
): ApplyArgs {
  const { keys, cache } = options;
  const allKeys = [keys.marker, keys.generation, keys.offsets(options.topic)];
  const indexOf = new Map<string, number>();
  const keyIndex = (key: string): number => {
    let i = indexOf.get(key);
    if (i === undefined) {
      allKeys.push(key);
      i = allKeys.length; // Lua's KEYS is 1-based
      indexOf.set(key, i);
    }
    return i;
  };

  const useCache = cache !== undefined && cache.enabled && cache.epoch !== undefined;
  const args: string[] = [useCache ? (cache.epoch as string) : '', String(batch.generation), String(batch.partition), batch.first, batch.next];
  if (useCache) {
    args.push(String(cache.watermarks.size));
    for (const [partition, offset] of cache.watermarks) args.push(partition, String(offset));
  } else {
    args.push('0');
  }

  appendDedup(args, batch, options.dedupWindowMs, keys, keyIndex);

  const pending = cache !== undefined && cache.enabled ? new PendingRanks(cache.version) : undefined;
  const hashes: HashUpdates[] = [];
  for (const { view, rows } of batch.views) {
    const byBucket = new Map<number, HashUpdates>();
    const indexIndex = keyIndex(keys.bucketIndex(view.name, batch.generation));
    const metrics = view.metrics;
    for (const row of rows) {
      let hash = byBucket.get(row.bucket);
      if (hash === undefined) {
        hash = {
          hashIndex: keyIndex(keys.bucketStates(view.name, batch.generation, row.bucket)),
          indexIndex,
          bucket: row.bucket,
          scalars: [],
          registerFields: [],
          registerRanks: [],
        };
        byBucket.set(row.bucket, hash);
        hashes.push(hash);
      }
      const group = encodeGroupKey(row.dims);
      for (let i = 0; i < metrics.length; i++) {
        const metric = metrics[i] as (typeof metrics)[number];
        const state = row.states[i] as MetricState;
        const name = metric.name;
        switch (metric.kind) {
          case 'count':
            if ((state as number) > 0) hash.scalars.push(`${name}|${group}`, 'c', String(state));
            break;
          case 'sum':
            if (state !== null) hash.scalars.push(`${name}|${group}`, 's', String(state));
            break;
          case 'min':
            if (state !== null) hash.scalars.push(`${name}|${group}`, 'n', String(state));
            break;
          case 'max':
            if (state !== null) hash.scalars.push(`${name}|${group}`, 'x', String(state));
            break;
          case 'avg': {
            const { sum, count } = state as AvgState;
            if (count > 0) hash.scalars.push(`${name}.s|${group}`, 's', String(sum), `${name}.n|${group}`, 'c', String(count));
            break;
          }
          case 'distinct': {
            const packed = (state as HyperLogLog).toPacked();
            if (packed.length === 0) break;
            const known = pending !== undefined ? (cache as RegisterCache).ranksOf(`${allKeys[hash.hashIndex - 1] as string}\n${i}\n${group}`) : undefined;
            const prefix = `${name}.`;
            const suffix = `|${group}`;
            for (let k = 0; k < packed.length; k++) {
              const code = packed[k] as number;
              const register = code >>> 6;
              const rank = code & 63;
              if (known !== undefined) {
                if (useCache && rank <= (known[register] as number)) {
                  (pending as PendingRanks).skipped++;
                  continue;
                }
                (pending as PendingRanks).push(known, register, rank);
              }
              hash.registerFields.push(`${prefix}${register}${suffix}`);
              hash.registerRanks.push(String(rank));
            }
            break;
          }
        }
      }
    }
  }

  args.push(String(hashes.length));
  for (const hash of hashes) {
    args.push(String(hash.hashIndex), String(hash.indexIndex), String(hash.bucket), String(hash.scalars.length / 3));
    for (const s of hash.scalars) args.push(s);
    args.push(String(hash.registerFields.length));
    for (const f of hash.registerFields) args.push(f);
    for (const r of hash.registerRanks) args.push(r);
  }
  return { keys: allKeys, args, pending };
}

/** Dedup groups, one per time slice of the window: add key, expiry, check keys, ids. */
function appendDedup(args: string[], batch: SpeedBatch, dedupWindowMs: number, keys: SpeedKeys, keyIndex: (key: string) => number): void {
  if (dedupWindowMs <= 0 || batch.ids.length === 0) {
    args.push('0');
    return;
  }
  const bySlice = new Map<number, string[]>();
  for (const { id, receivedAt } of batch.ids) {
    const slice = Math.floor(receivedAt / dedupWindowMs);
    const list = bySlice.get(slice);
    if (list) list.push(id);
    else bySlice.set(slice, [id]);
  }
  args.push(String(bySlice.size));
  for (const [slice, ids] of bySlice) {
    args.push(
      String(keyIndex(keys.seen(slice))),
      String(Math.max((slice + 2) * dedupWindowMs, batch.now) + dedupWindowMs),
      '3',
      String(keyIndex(keys.seen(slice - 1))),
      String(keyIndex(keys.seen(slice))),
      String(keyIndex(keys.seen(slice + 1))),
      String(ids.length),
    );
    for (const id of ids) args.push(id);
  }
}
