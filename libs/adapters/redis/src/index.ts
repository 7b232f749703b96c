export { createSpeedKeys, type SpeedKeys } from './speed-keys';
export { rowUpdates, hashToRows, type FieldUpdate, type FieldOp } from './state-fields';
export {
  createRedisSpeedStore,
  SpeedStoreLostError,
  type ApplyResult,
  type BatchPointer,
  type PartitionOffsets,
  type SpeedBatch,
  type SpeedStore,
} from './speed-store';
