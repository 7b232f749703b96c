import type { Granularity } from '../buckets/granularity';

export const METRIC_KINDS = ['count', 'sum', 'min', 'max', 'avg', 'distinct'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** Kinds whose field must hold a finite number (CONTRACT.md §1). */
export const NUMERIC_METRIC_KINDS: ReadonlySet<MetricKind> = new Set(['sum', 'min', 'max', 'avg']);

/** `field` is absent for `count` (which counts events) and present for every other kind. */
export interface MetricDefinition {
  readonly name: string;
  readonly kind: MetricKind;
  readonly field?: string;
}

/** A validated view (CONTRACT.md §2). Objects returned by `parseViews` are frozen. */
export interface ViewDefinition {
  readonly name: string;
  readonly eventTypes: readonly string[];
  readonly granularity: Granularity;
  readonly dimensions: readonly string[];
  readonly metrics: readonly MetricDefinition[];
}

export const VIEW_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const MAX_DIMENSIONS = 8;
/** Event fields that are not attributes, so cannot be dimensions or metric fields. */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set(['id', 'type', 'ts']);

/**
 * A stable text for a view definition (key order fixed), e.g. to record in a batch version's manifest
 * and notice that the views file changed since the version was computed.
 */
export function viewFingerprint(view: ViewDefinition): string {
  return JSON.stringify([
    view.name,
    view.eventTypes,
    view.granularity,
    view.dimensions,
    view.metrics.map((m) => (m.field === undefined ? [m.name, m.kind] : [m.name, m.kind, m.field])),
  ]);
}
