import type { BatchPointer } from '@tributary/adapter-redis';
import type { ViewDefinition, ViewRows } from '@tributary/core';

/**
 * What the serving API needs from the outside world, as small ports: the app is built from these,
 * so route tests inject in-memory fakes and the server wires Redis, DuckDB, Kafka and BullMQ.
 */

/** The speed half (Redis): the published batch pointer and the speed generations. */
export interface SpeedSource {
  readPointer(): Promise<BatchPointer | undefined>;
  readStates(view: ViewDefinition, range: { fromBucket: number; toBucket: number; afterGeneration: number }): Promise<ViewRows>;
  /**
   * Optional: a text that changes whenever the speed states may have changed (the store's marker,
   * generation and per-partition offsets, which the speed layer writes in the same Lua call as the
   * states). Equal snapshots mean equal states, so the speed half of a query can be reused.
   */
  snapshot?(): Promise<string>;
  /**
   * Optional, preferred over `readPointer` + `snapshot` when present: both (and the current
   * generation) at one instant, in one round trip.
   */
  readServingState?(): Promise<{ pointer: BatchPointer | undefined; snapshot: string; generation: number }>;
  /**
   * Optional, preferred over `readStates` when present (with `readServingState`): the speed states
   * of generations (afterGeneration, throughGeneration] as parts (one per generation and bucket)
   * whose `id` changes whenever the part's content does, so a part rolled up once can be reused.
   * The parts' rows are shared: never change them.
   */
  readStateParts?(
    view: ViewDefinition,
    range: { fromBucket: number; toBucket: number; afterGeneration: number; throughGeneration: number },
  ): Promise<ReadonlyArray<{ readonly id: string; readonly rows: ViewRows }>>;
}

/** The batch half (Parquet of a batch version); undefined when the version has no file for the view. */
export interface BatchSource {
  readStates(version: string, view: ViewDefinition, range: { fromBucket: number; toBucket: number }): Promise<ViewRows | undefined>;
}

/** Messages the speed layer has still to apply (Σ high watermark − stored offset); null when unknown. */
export type ConsumerLag = () => Promise<number | null>;

export interface RunStats {
  rowsRead: number;
  filesRead: number;
  rejected: number;
  durationMs: number;
}

/** A batch run as CONTRACT.md §4 shows it. */
export interface BatchRunView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  stats: RunStats;
  version: string | null;
}

/** Batch runs (the BullMQ `recompute` queue). */
export interface BatchRuns {
  request(views: readonly string[] | undefined): Promise<{ id: string; status: 'queued' }>;
  get(id: string): Promise<BatchRunView | undefined>;
  list(limit: number): Promise<BatchRunView[]>;
}

/** The events topic: resolves once every message is acknowledged by all in-sync replicas. */
export interface EventSink {
  send(messages: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
}

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface ServingPorts {
  speed: SpeedSource;
  batch: BatchSource;
  lag: ConsumerLag;
  runs: BatchRuns | undefined;
  events: EventSink;
  readiness: readonly ReadinessCheck[];
}
