import { describe, expect, it } from 'vitest';
import { isCommandLineOf, parseInfraState, type InfraState } from './state-file';

const state: InfraState = {
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  runDir: '/repo/.tributary/run-1-20260101-000000000',
  env: { KAFKA_BROKERS: '127.0.0.1:40123', REDIS_URL: 'redis://127.0.0.1:40125' },
  kafka: { owned: true, pid: 100, port: 40123, controllerPort: 40124, propertiesFile: '/run/server.properties', logFile: '/run/kafka.log' },
  redis: { owned: true, pid: 101, port: 40125, logFile: '/run/redis.log' },
};

describe('parseInfraState', () => {
  it('reads back what was written', () => {
    expect(parseInfraState(JSON.stringify(state))).toEqual(state);
  });

  it('accepts services given through the environment', () => {
    const given = { ...state, runDir: null, kafka: { owned: false }, redis: { owned: false } };
    expect(parseInfraState(JSON.stringify(given))).toEqual(given);
  });

  it('says what is wrong', () => {
    expect(() => parseInfraState('{}')).toThrow(/version 1/);
    expect(() => parseInfraState(JSON.stringify({ ...state, env: {} }))).toThrow(/KAFKA_BROKERS/);
    expect(() => parseInfraState(JSON.stringify({ ...state, kafka: { owned: true, pid: 'x' } }))).toThrow(/kafka/);
    expect(() => parseInfraState('not json')).toThrow();
  });
});

describe('isCommandLineOf', () => {
  const kafka = state.kafka.owned ? state.kafka : null;
  const redis = state.redis.owned ? state.redis : null;
  if (kafka === null || redis === null) throw new Error('fixture');

  it('recognises our broker by its marker property', () => {
    const argv = ['java', '-Xmx512m', '-Dtributary.infra=/run/server.properties', '-cp', '/libs/*', 'kafka.Kafka', '/run/server.properties'];
    expect(isCommandLineOf('kafka', kafka, argv)).toBe(true);
    expect(isCommandLineOf('kafka', kafka, ['java', '-Dtributary.infra=/other/server.properties', 'kafka.Kafka'])).toBe(false);
    expect(isCommandLineOf('kafka', kafka, ['vim', '/run/server.properties'])).toBe(false);
  });

  it('recognises our Redis by its process title and port', () => {
    expect(isCommandLineOf('redis', redis, ['redis-server 127.0.0.1:40125'])).toBe(true);
    expect(isCommandLineOf('redis', redis, ['redis-server 127.0.0.1:401250'])).toBe(false);
    expect(isCommandLineOf('redis', redis, ['redis-server 127.0.0.1:6379'])).toBe(false);
  });
});
