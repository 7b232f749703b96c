export { integrationEnv, uniqueName } from './integration-env';
export { waitFor } from './wait-for';
