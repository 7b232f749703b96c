export { integrationEnv, uniqueName } from './integration-env';
export { startPrivateRedis } from './redis-server';
export { seededRandom } from './seeded-random';
export { waitFor } from './wait-for';
