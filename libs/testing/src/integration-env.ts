import { randomUUID } from 'node:crypto';

/**
 * The real services an integration test talks to. `npm test` (and `npm run test:int`) start
 * them and pass their addresses; running a suite by hand needs the same variables.
 */
export function integrationEnv(): { kafkaBrokers: string[]; redisUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL;
  if (!brokers || !redisUrl) {
    throw new Error(
      'Integration tests need a real Kafka and Redis: run them with `npm test` or `npm run test:int`, ' +
        'or set KAFKA_BROKERS and REDIS_URL (e.g. from `npm run infra -- up`).',
    );
  }
  return { kafkaBrokers: brokers.split(','), redisUrl };
}

/** A name no other test uses: `test-<prefix>-<uuid>`. */
export const uniqueName = (prefix: string): string => `test-${prefix}-${randomUUID()}`;
