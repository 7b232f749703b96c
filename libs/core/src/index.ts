// Public API of @tributary/core: pure code shared by the speed layer, the batch layer and the serving API.

export {
  type ErrorCode,
  errorCatalogue,
  QueryError,
  StateError,
  TributaryError,
  ViewsConfigError,
  viewNotFoundError,
} from './errors';

export {
  type AttributeValue,
  attributeText,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  MAX_ID_LENGTH,
  MAX_TYPE_LENGTH,
  type NormalizedEvent,
  type ValidationResult,
} from './events/event';
export { MAX_EPOCH_MS, parseTime } from './events/parse-time';
export {
  type EventValidationContext,
  type MetricFieldRule,
  type MetricFieldsByType,
  metricFieldsByType,
  validateEvent,
} from './events/validate-event';
export { createEventValidator, type EventValidator, parseEvent } from './events/parse-event';

export {
  MAX_DIMENSIONS,
  METRIC_KINDS,
  type MetricDefinition,
  type MetricKind,
  NUMERIC_METRIC_KINDS,
  RESERVED_FIELDS,
  VIEW_NAME_PATTERN,
  type ViewDefinition,
  viewFingerprint,
} from './views/view';
export { parseViews, validateViews } from './views/parse-views';
export { findView } from './views/find-view';

export {
  ceilBucket,
  floorBucket,
  formatBucket,
  GRANULARITIES,
  GRANULARITY_MS,
  type Granularity,
  isFinerThan,
  isGranularity,
  isQueryGranularity,
  type QueryGranularity,
  rollupBucket,
} from './buckets/granularity';
export {
  DEFAULT_QUERY_SPAN_MS,
  MAX_QUERY_BUCKETS,
  normalizeRange,
  type QueryRange,
  type RangeInput,
} from './buckets/query-range';

export type { AvgState, EncodedState, MetricOps, MetricState } from './metrics/metric-state';
export {
  aggregateState,
  decodeState,
  encodeState,
  finalizeState,
  initializeState,
  mergeStates,
  metricOps,
} from './metrics/metric-kinds';

export { HLL_MAX_RANK, HLL_PRECISION, HLL_REGISTERS, HyperLogLog, hllRegisterOf, hllRegisterOfHash } from './sketches/hll';
export { md5Hex, md5Words } from './sketches/md5';

export { decodeGroupKey, type DimensionValue, encodeGroupKey, type ViewRow, ViewRows } from './merge/view-row';
export { aggregateEvents, createViewAggregator, type ViewAggregator } from './merge/aggregate-events';
export { cloneRow, mergeRowInto, mergeRows, mergeRowsInto } from './merge/merge-rows';
export { type FinalizedRow, finalizeRow } from './merge/finalize-row';
export { normalizeQuery, type QueryInput, type ViewQuery } from './merge/view-query';
export { compareDimensionValues, finalizeQueryRows, type QueryResultRow, queryRows, rollupRows } from './merge/query-rows';

export { hllHashSql, hllIndexSql, hllPackedSql, hllRankSql } from './sql/hll-sql';
export {
  type EventProjection,
  eventProjection,
  ID_HASH_COLUMN,
  projectedNumber,
  projectedRegister,
  projectedText,
  projectEventsSql,
  reprojectEventsSql,
  projectionColumns,
  projectionFingerprint,
} from './sql/event-projection';
export { quoteIdentifier, quoteLiteral } from './sql/quote';
export {
  createNormalizedTableSql,
  NORMALIZED_EVENT_COLUMNS,
  type NormalizedEventRow,
  readNormalizedJsonSql,
  toNormalizedRow,
} from './sql/normalized-table';
export {
  decodeStatesRow,
  encodeStatesRow,
  STATE_SQL_TYPES,
  type StateColumns,
  stateColumns,
  stateColumnsSql,
  type StatesRecord,
} from './sql/state-columns';
export { viewStatesSql, type ViewStatesSqlOptions } from './sql/view-states-sql';
