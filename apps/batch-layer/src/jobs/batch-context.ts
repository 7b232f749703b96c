import type { DuckDBSession } from '@tributary/adapter-duckdb';
import type { LakeExtras, LakePaths } from '@tributary/adapter-lake';
import type { SpeedStore } from '@tributary/adapter-redis';
import type { EventValidator, ViewDefinition } from '@tributary/core';
import type { Logger } from '@tributary/runtime';

/** What the steps of one batch run share. */
export interface BatchContext {
  readonly topic: string;
  readonly paths: LakePaths;
  readonly extras: LakeExtras;
  readonly views: readonly ViewDefinition[];
  readonly validator: EventValidator;
  /** The normalization key of this run's views and settings (see normalization.ts). */
  readonly normalizationKey: string;
  readonly duckdb: DuckDBSession;
  readonly store: SpeedStore;
  readonly logger: Logger;
}
