import type { SpeedStore } from '@tributary/adapter-redis';
import type { Logger } from '@tributary/runtime';

/**
 * Deletes the speed generations a published version covers, `graceMs` after publishing, so a query
 * that read the previous pointer can still read them (DESIGN.md, the seam, step 5). Dropping is
 * idempotent and cumulative (`dropGenerations` removes every generation up to g not yet removed), so a
 * drop lost to a crash is done by the next run's.
 */
export function createGenerationDropper(options: { store: SpeedStore; views: readonly string[]; graceMs: number; logger: Logger }) {
  const { store, views, graceMs, logger } = options;
  const timers = new Set<NodeJS.Timeout>();
  const dropNow = async (generation: number) => {
    const deleted = await store.dropGenerations(generation, views);
    logger.info({ generation, deletedKeys: deleted }, 'speed generations covered by the batch version dropped');
  };
  return {
    async drop(generation: number): Promise<void> {
      if (graceMs <= 0) return dropNow(generation);
      const timer = setTimeout(() => {
        timers.delete(timer);
        dropNow(generation).catch((err: unknown) => logger.error({ err, generation }, 'dropping covered speed generations failed; the next run retries'));
      }, graceMs);
      timers.add(timer);
    },
    close(): void {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
