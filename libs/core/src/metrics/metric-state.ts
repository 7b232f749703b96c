import type { AttributeValue } from '../events/event';
import type { HyperLogLog } from '../sketches/hll';

/** `avg` keeps the sum and the number of non-null values; the average is taken at finalize. */
export interface AvgState {
  sum: number;
  count: number;
}

/**
 * The state of one metric in one (bucket, group):
 *   count    → number (events)
 *   sum      → number | null (null: no value seen)
 *   min, max → number | null
 *   avg      → AvgState
 *   distinct → HyperLogLog
 */
export type MetricState = number | null | AvgState | HyperLogLog;

/**
 * The ONE serialized form of a state, shared by the speed layer (Redis) and the batch views (Parquet;
 * `viewStatesSql` produces exactly these values), JSON-able:
 *   count    → integer                      (SQL BIGINT)
 *   sum      → number | null                (SQL DOUBLE)
 *   min, max → number | null                (SQL DOUBLE)
 *   avg      → [sum, count]: sum is 0 when count is 0   (SQL DOUBLE[2])
 *   distinct → list of index*64+rank of the non-zero HLL registers (SQL INTEGER[]): TypeScript writes
 *              them sorted, one per index; SQL writes them in any order, an index possibly repeated,
 *              and reading keeps the highest rank per index (HyperLogLog.fromPacked)
 */
export type EncodedState = number | null | readonly number[];

/** One metric kind's algebra, Kafka Streams' vocabulary. */
export interface MetricOps {
  /** The identity of `merge`. */
  initialize(): MetricState;
  /**
   * Folds one event's field value in; may update `state` in place (avg, distinct) and returns the new
   * state. `count` ignores the value; the others ignore null and missing, and sum/min/max/avg ignore
   * anything that is not a number.
   */
  aggregate(state: MetricState, value: AttributeValue | undefined): MetricState;
  /** Pure: neither input changes. Associative and commutative, with `initialize()` as identity. */
  merge(a: MetricState, b: MetricState): MetricState;
  /** Like merge but may reuse `target` (which the caller owns); `source` never changes. */
  mergeInto(target: MetricState, source: MetricState): MetricState;
  clone(state: MetricState): MetricState;
  /** The answer: count and distinct are integers; sum/min/max/avg are numbers or null. */
  finalize(state: MetricState): number | null;
  encode(state: MetricState): EncodedState;
  /** Reads an encoded state (bigints accepted, as DuckDB returns BIGINT); throws StateError. */
  decode(encoded: unknown): MetricState;
}
