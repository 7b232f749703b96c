/**
 * UTC buckets. A bucket is named by its start in epoch milliseconds; every day has 86 400 000 ms in
 * epoch time (no leap seconds), so minute, hour and day buckets are plain integer floors and need no
 * calendar. Works for times before 1970 too (floors towards −∞).
 */
export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
/** A query may also ask for `all`: one bucket for the whole range. */
export type QueryGranularity = Granularity | 'all';

export const GRANULARITY_MS: Readonly<Record<Granularity, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export function isGranularity(value: unknown): value is Granularity {
  return value === 'minute' || value === 'hour' || value === 'day';
}

export function isQueryGranularity(value: unknown): value is QueryGranularity {
  return value === 'all' || isGranularity(value);
}

/** True when `a` is strictly finer than `b` (`minute` < `hour` < `day` < `all`). */
export function isFinerThan(a: QueryGranularity, b: QueryGranularity): boolean {
  return granularityRank(a) < granularityRank(b);
}

function granularityRank(g: QueryGranularity): number {
  return g === 'all' ? Number.POSITIVE_INFINITY : GRANULARITY_MS[g];
}

/** Start of the bucket holding `ts`. */
export function floorBucket(ts: number, granularity: Granularity): number {
  const size = GRANULARITY_MS[granularity];
  return ts - (((ts % size) + size) % size);
}

/** Smallest bucket start ≥ `ts`. */
export function ceilBucket(ts: number, granularity: Granularity): number {
  const floor = floorBucket(ts, granularity);
  return floor === ts ? ts : floor + GRANULARITY_MS[granularity];
}

/**
 * The bucket a finer bucket belongs to at a coarser granularity; with `all` every bucket rolls up to
 * `allBucket` (a query's effective `from`, CONTRACT.md §4).
 */
export function rollupBucket(bucket: number, granularity: QueryGranularity, allBucket: number): number {
  return granularity === 'all' ? allBucket : floorBucket(bucket, granularity);
}

/** `2026-11-23T10:00:00.000Z` */
export function formatBucket(ms: number): string {
  return new Date(ms).toISOString();
}
