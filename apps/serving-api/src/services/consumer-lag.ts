import type { ConsumerLag } from '../ports';

/**
 * The speed layer's lag in messages: Σ over partitions of max(0, high watermark − the next offset the
 * speed layer will apply, as stored in Redis). One computation is shared by the queries of
 * `maxAgeMs` (Kafka's metadata round trip would otherwise dominate a query); null when Kafka or Redis
 * cannot tell.
 */
export function createConsumerLag(options: {
  highWatermarks: () => Promise<ReadonlyArray<{ partition: number; high: string }>>;
  storedOffsets: () => Promise<Record<string, string>>;
  maxAgeMs?: number;
  now?: () => number;
}): ConsumerLag {
  const maxAgeMs = options.maxAgeMs ?? 500;
  const now = options.now ?? Date.now;
  let cached: { at: number; value: Promise<number | null> } | undefined;

  async function compute(): Promise<number | null> {
    try {
      const [highs, stored] = await Promise.all([options.highWatermarks(), options.storedOffsets()]);
      let lag = 0n;
      for (const { partition, high } of highs) {
        const next = BigInt(stored[String(partition)] ?? '0');
        const behind = BigInt(high) - next;
        if (behind > 0n) lag += behind;
      }
      return Number(lag);
    } catch {
      return null;
    }
  }

  return () => {
    const t = now();
    if (cached === undefined || t - cached.at >= maxAgeMs) cached = { at: t, value: compute() };
    return cached.value;
  };
}
