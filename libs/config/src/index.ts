export { ConfigError } from './config-error';
export { envFields, type EnvFieldName } from './env-fields';
export { envSchema, loadEnv, type Env } from './load-config';
export {
  loadSpeedLayerConfig,
  loadBatchLayerConfig,
  loadServingApiConfig,
  type SpeedLayerConfig,
  type BatchLayerConfig,
  type ServingApiConfig,
} from './app-configs';
export { loadViewsFile } from './load-views';
