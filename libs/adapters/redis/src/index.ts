export { createSpeedKeys, type SpeedKeys } from './speed-keys';
export { rowUpdates, hashToRows, type FieldUpdate, type FieldOp } from './state-fields';
export {
  createRedisSpeedStore,
  DEFAULT_REGISTER_CACHE_ENTRIES,
  SpeedStoreLostError,
  type ApplyResult,
  type BatchPointer,
  type PartitionOffsets,
  type RegisterCacheStats,
  type SpeedBatch,
  type SpeedStore,
} from './speed-store';
export { createSpeedReader, type ServingState, type SpeedReader, type SpeedStatePart } from './speed-reader';
