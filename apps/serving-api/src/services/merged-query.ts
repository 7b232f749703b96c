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
 * queries of one shape reuse it. When the source offers `readServingState`, the pointer and the
 * snapshot come from one atomic read (one Redis round trip per query while nothing changed); with
 * `readStateParts` too, the speed half is rebuilt from parts (one per generation and bucket) whose
 * roll-up to the shape is cached by part id (`partEntries`, LRU): after one applied Kafka batch only
 * the parts it touched are read, decoded and rolled up again.
 */
export function createMergedQuery(deps: { speed: SpeedSource; batch: BatchSource }, options: { cacheEntries?: number; partEntries?: number } = {}): MergedQuery {
  const capacity = Math.max(0, options.cacheEntries ?? 128);
  const partCapacity = Math.max(0, options.partEntries ?? 8192);
  // part id + shape -> that part rolled up to the shape (shared: merged by copy)
  const partCache = new Map<string, ViewRows>();
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

  const rolledPart = (part: { readonly id: string; readonly rows: ViewRows }, view: ViewDefinition, query: ViewQuery, shape: string): ViewRows => {
    if (partCapacity === 0) return rollupRows(view, query, part.rows);
    const key = `${part.id}\u0000${shape}`;
    let rolled = partCache.get(key);
    if (rolled === undefined) rolled = rollupRows(view, query, part.rows);
    else partCache.delete(key);
    partCache.set(key, rolled);
    if (partCache.size > partCapacity) partCache.delete(partCache.keys().next().value as string);
    return rolled;
  };

  const speedHalf = (snapshot: string | undefined, afterGeneration: number, current: number | undefined, view: ViewDefinition, query: ViewQuery, shape: string) =>
    cached(speedCache, snapshot === undefined ? undefined : `${snapshot}\u0000${afterGeneration}\u0000${shape}`, async () => {
      const range = { fromBucket: query.from, toBucket: query.to, afterGeneration };
      if (deps.speed.readStateParts === undefined || current === undefined) return rollupRows(view, query, await deps.speed.readStates(view, range));
      const parts = await deps.speed.readStateParts(view, { ...range, throughGeneration: current });
      const rolled = new ViewRows(query.groupBy.length);
      for (const part of parts) mergeRowsInto(view, rolled, rolledPart(part, view, query, shape));
      return rolled;
    });

  const readState = coalesce(async (): Promise<{ pointer: BatchPointer | undefined; snapshot: string | undefined; generation: number | undefined }> => {
    if (deps.speed.readServingState !== undefined) return deps.speed.readServingState();
    const [pointer, snapshot] = await Promise.all([deps.speed.readPointer(), deps.speed.snapshot?.()]);
    return { pointer, snapshot, generation: undefined };
  });

  // shape -> the last answer finished for it and the state it belongs to: the common case (nothing
  // changed since) returns it without building cache keys.
  const lastAnswers = new Map<string, { version: string | undefined; snapshot: string; generation: number; rows: QueryResultRow[] }>();

  return async (view, query) => {
    const shape = shapeKey(view, query);
    for (let attempt = 1; ; attempt++) {
      const { pointer, snapshot, generation: current } = await readState();
      const generation = pointer?.generation ?? 0;
      const last = lastAnswers.get(shape);
      if (last !== undefined && snapshot !== undefined && last.snapshot === snapshot && last.version === pointer?.version && last.generation === generation) {
        return { rows: last.rows, pointer };
      }
      const [batchRolled, speedRolled] = await Promise.all([
        pointer ? batchHalf(pointer, view, query, shape) : Promise.resolve(undefined),
        speedHalf(snapshot, generation, current, view, query, shape),
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
      // Only answers with the version's batch half (or no version): a missing file is re-checked.
      if (snapshot !== undefined && capacity > 0 && (pointer === undefined || batchRolled !== undefined)) {
        lastAnswers.delete(shape);
        lastAnswers.set(shape, { version: pointer?.version, snapshot, generation, rows });
        if (lastAnswers.size > capacity) lastAnswers.delete(lastAnswers.keys().next().value as string);
      }
      return { rows, pointer };
    }
  };
}

/**
 * At most one `load` in flight: a call while one runs waits for the next one, which starts when the
 * running one settles and serves every call that arrived meanwhile. Each caller still gets a read
 * that started after its call (never an older answer), but under load many queries share one Redis
 * round trip instead of sending one command each.
 */
export function coalesce<T>(load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const pending = load();
    running = pending;
    const settle = () => {
      if (running === pending) running = undefined;
    };
    pending.then(settle, settle);
    return pending;
  };
  const noop = () => undefined;
  return () => {
    if (running === undefined) return start();
    if (queued === undefined) {
      queued = running.then(noop, noop).then(() => {
        queued = undefined;
        return start();
      });
    }
    return queued;
  };
}
