import { HLL_REGISTERS } from '@tributary/core';

/**
 * What this process knows Redis already holds of the HyperLogLog registers of the current
 * generation: per (view-bucket hash, metric, group), the highest rank it wrote there. A register
 * update that cannot raise a register (rank ≤ the known one) is not sent. That is safe only while
 * Redis still holds what the process wrote, and Redis registers only grow (several instances
 * included), so the cache is tied to one store history and apply-batch.lua checks that history:
 *
 *   - `epoch` is the marker value of the store the ranks were written to: a rebuilt store (the
 *     marker key is rewritten by initialize) fails the check;
 *   - `watermarks` are, per partition, the offset after the last batch this process applied: a
 *     store whose offsets went back (rebuilt, or restored from an older snapshot) fails the check.
 *
 * On a failed check ("fence") nothing is written; the cache is cleared and the batch sent in full.
 * The cache is also cleared on a generation change, a "lost" or "stale" answer, and when it holds
 * more than `maxEntries` (hash, metric, group) entries (16 KiB each), oldest first.
 */
export class RegisterCache {
  epoch: string | undefined;
  /** Bumped by every clear: a batch built before a clear commits nothing after it. */
  version = 0;
  readonly watermarks = new Map<string, number>();
  private readonly ranks = new Map<string, Uint8Array>();
  sent = 0;
  skipped = 0;
  fences = 0;

  constructor(private readonly maxEntries: number) {}

  get enabled(): boolean {
    return this.maxEntries > 0;
  }

  get size(): number {
    return this.ranks.size;
  }

  /** The known ranks of one (hash, metric, group), created empty when missing. */
  ranksOf(key: string): Uint8Array {
    let ranks = this.ranks.get(key);
    if (ranks === undefined) {
      if (this.ranks.size >= this.maxEntries) {
        const oldest = this.ranks.keys().next().value as string;
        this.ranks.delete(oldest);
      }
      ranks = new Uint8Array(HLL_REGISTERS);
      this.ranks.set(key, ranks);
    }
    return ranks;
  }

  clear(): void {
    this.epoch = undefined;
    this.version++;
    this.ranks.clear();
    this.watermarks.clear();
  }
}

/** Register updates of one batch, recorded in the cache once Redis applied them. */
export class PendingRanks {
  private readonly targets: Uint8Array[] = [];
  private readonly indexes: number[] = [];
  private readonly values: number[] = [];
  skipped = 0;

  constructor(readonly version: number) {}

  get sent(): number {
    return this.targets.length;
  }

  push(target: Uint8Array, index: number, rank: number): void {
    this.targets.push(target);
    this.indexes.push(index);
    this.values.push(rank);
  }

  commit(): void {
    const { targets, indexes, values } = this;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as Uint8Array;
      const index = indexes[i] as number;
      const rank = values[i] as number;
      if (rank > (target[index] as number)) target[index] = rank;
    }
  }
}
