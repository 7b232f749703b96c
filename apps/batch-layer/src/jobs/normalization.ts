import { createHash } from 'node:crypto';
import { type EventProjection, eventProjection, metricFieldsByType, NORMALIZED_EVENT_COLUMNS, projectionColumns, projectionFingerprint, type ViewDefinition } from '@tributary/core';

/**
 * Bump when the normalized Parquet changes shape or meaning (columns, how records become events):
 * every cached file is then rebuilt from the raw data at the next run.
 */
export const NORMALIZATION_VERSION = 4;

/** Where an event sits in its input: Kafka offset for segments, row/line number for files. */
export const POSITION_COLUMN = 'src_position';

/** The normalized Parquet's columns: core's normalized events table plus the position. */
export const NORMALIZED_PARQUET_COLUMNS: Readonly<Record<string, string>> = { ...NORMALIZED_EVENT_COLUMNS, [POSITION_COLUMN]: 'BIGINT' };

/**
 * The columns a recompute reads from the normalized Parquet: id, type and ts, then core's projected
 * columns for the views (`eventProjection`: id_hash, the texts and numbers the views use and the
 * HyperLogLog register of each distinct field), with their SQL types. The Parquet also keeps
 * `attrs`, `nums` and the position.
 */
export function computeColumns(projection: EventProjection): Record<string, string> {
  return { id: NORMALIZED_EVENT_COLUMNS.id, type: NORMALIZED_EVENT_COLUMNS.type, ts: NORMALIZED_EVENT_COLUMNS.ts, ...projectionColumns(projection) };
}

/**
 * The normalization key: which events are valid depends on the code (NORMALIZATION_VERSION), on
 * MAX_FUTURE_SKEW_MS and on the numeric metric fields the views require per event type; the projected
 * columns depend on the fields the views read (dimensions, metric fields). A change of any of them is a
 * new key, hence a new cache folder built from the raw data.
 */
export function normalizationKey(views: readonly ViewDefinition[], maxFutureSkewMs: number): string {
  const rules = [...metricFieldsByType(views)]
    .map(([type, fields]) => [type, fields.map((f) => f.field).sort()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
  const validity = digest({ v: NORMALIZATION_VERSION, maxFutureSkewMs, rules });
  return `n${NORMALIZATION_VERSION}-${validity}-${digest(projectionFingerprint(eventProjection(views)))}`;
}

/**
 * Whether two normalization keys share the rules that decide validity and differ only in the
 * projected columns: then one cache's events (`id, type, ts, attrs, nums` and positions) are the
 * other's, and a file can be derived from its sibling in DuckDB instead of normalized again.
 */
export function sameValidity(key: string, other: string): boolean {
  const prefix = (k: string) => k.slice(0, k.lastIndexOf('-') + 1);
  return key !== other && /^n\d+-[0-9a-f]+-[0-9a-f]+$/.test(other) && prefix(key) === prefix(other);
}

/** A `read_json` FROM item for NDJSON of normalized rows with their position. */
export function readNormalizedNdjsonSql(pathLiteral: string): string {
  const columns = Object.entries(NORMALIZED_PARQUET_COLUMNS).map(([name, type]) => `${name}: '${type}'`);
  return `read_json(${pathLiteral}, format = 'newline_delimited', columns = {${columns.join(', ')}})`;
}

/** What the cache records next to each normalized file. */
export interface NormalizedMeta {
  /** Records in the input (Kafka messages, file rows). */
  records: number;
  valid: number;
  rejected: number;
  /** Positions of the rejected records (to count those below a cut). */
  rejectedPositions: number[];
  /** The time the input was "received" (files only; Kafka records carry their own). */
  receivedAt?: number;
}
