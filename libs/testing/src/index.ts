export { integrationEnv, uniqueName } from './integration-env';
export { startPrivateRedis } from './redis-server';
export { waitFor } from './wait-for';
