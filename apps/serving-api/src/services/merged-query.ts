import type { BatchPointer } from '@tributary/adapter-redis';
import { cloneRow, finalizeQueryRows, mergeRowsInto, rollupRows, ViewRows, type QueryResultRow, type ViewDefinition, type ViewQuery } from '@tributary/core';
import type { BatchSource, SpeedSource } from '../ports';

export interface MergedAnswer {
  rows: QueryResultRow[];
  /** The batch version the answer comes from (undefined before the first batch run). */
  pointer: BatchPointer | undefined;
}

export type MergedQuery = (view: ViewDefinition, query: ViewQuery) => Promise<MergedAnswer>;

const ATTEMPTS = 3;

/**
 * `finalize(batch ⊕ Σ speed generations > g)` per bucket and group (DESIGN.md "The seam"). The pointer
 * is read once and names the pair (version, g): the batch half comes from that version, the speed
 * half from the generations after g — so a flip during the query never yields a gap or a double count
 * (covered generations are dropped only after a grace period, and old versions stay on disk for a
 * while). When the version's file is gone, the pointer is read again: if it moved, the version was
 * garbage-collected after a newer one was published and the query runs again on the new pair; if it
 * did not, the version simply predates the view and its batch half is empty.
 *
 * A version never changes, so its half rolled up to a query's shape (range, granularity, groupBy,
 * filters) is cached (`cacheEntries`, LRU) and copied before the speed half is merged into it. The
 * speed half is cached the same way when the source offers a `snapshot` (read before the states, so
 * a cached half is never older than its key says): until the speed layer applies another Kafka batch,
 * queries of one shape reuse it.
 */
export function createMergedQuery(deps: { speed: SpeedSource; batch: BatchSource }, options: { cacheEntries?: number } = {}): MergedQuery {
  const capacity = Math.max(0, options.cacheEntries ?? 128);
  // Promises are cached, so concurrent queries of one shape share one read (no thundering herd when
  // the speed layer applies a batch). A failed read or an absent batch file is not kept.
  const batchCache = new Map<string, Promise<ViewRows | undefined>>();
  const speedCache = new Map<string, Promise<ViewRows>>();
  const answerCache = new Map<string, Promise<QueryResultRow[]>>();

  function cached<T>(map: Map<string, Promise<T>>, key: string | undefined, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    if (key === undefined || capacity === 0) return load();
    const hit = map.get(key);
    if (hit !== undefined) {
      map.delete(key);
      map.set(key, hit);
      return hit;
    }
    const pending = load();
    map.set(key, pending);
    if (map.size > capacity) map.delete(map.keys().next().value as string);
    pending.then(
      (value) => !keep(value) && map.get(key) === pending && map.delete(key),
      () => map.get(key) === pending && map.delete(key),
    );
    return pending;
  }

  const shapeKey = (view: ViewDefinition, query: ViewQuery) =>
    JSON.stringify([view.name, query.from, query.to, query.granularity, query.groupBy, [...query.filters].map(([d, v]) => [d, [...v]])]);

  const batchHalf = (pointer: BatchPointer, view: ViewDefinition, query: ViewQuery, shape: string) =>
    cached(
      batchCache,
      `${pointer.version}\u0000${shape}`,
      async () => {
        const rows = await deps.batch.readStates(pointer.version, view, { fromBucket: query.from, toBucket: query.to });
        return rows === undefined ? undefined : rollupRows(view, query, rows);
      },
      (rows) => rows !== undefined,
    );

  const speedHalf = (snapshot: string | undefined, afterGeneration: number, view: ViewDefinition, query: ViewQuery, shape: string) =>
    cached(speedCache, snapshot === undefined ? undefined : `${snapshot}\u0000${afterGeneration}\u0000${shape}`, async () =>
      rollupRows(view, query, await deps.speed.readStates(view, { fromBucket: query.from, toBucket: query.to, afterGeneration })),
    );

  return async (view, query) => {
    const shape = shapeKey(view, query);
    for (let attempt = 1; ; attempt++) {
      const [pointer, snapshot] = await Promise.all([deps.speed.readPointer(), deps.speed.snapshot?.()]);
      const generation = pointer?.generation ?? 0;
      const [batchRolled, speedRolled] = await Promise.all([
        pointer ? batchHalf(pointer, view, query, shape) : Promise.resolve(undefined),
        speedHalf(snapshot, generation, view, query, shape),
      ]);
      if (batchRolled === undefined && pointer !== undefined && attempt < ATTEMPTS) {
        const now = await deps.speed.readPointer();
        if (now?.version !== pointer.version) continue;
      }
      // The answer is a function of (version, speed snapshot, generation, shape): finalized once.
      const answerKey = snapshot === undefined ? undefined : JSON.stringify([batchRolled === undefined ? null : pointer?.version, snapshot, generation, shape]);
      const rows = await cached(answerCache, answerKey, async () => {
        // Both halves are cached and shared: merge copies.
        const rolled = new ViewRows(query.groupBy.length);
        for (const row of batchRolled ?? []) rolled.set(cloneRow(view, row));
        mergeRowsInto(view, rolled, speedRolled);
        return finalizeQueryRows(view, query, rolled);
      });
      return { rows, pointer };
    }
  };
}
