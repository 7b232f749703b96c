import { describe, expect, it } from 'vitest';
import { ConfigError, loadServingApiConfig, loadSpeedLayerConfig } from './index';

describe('loadEnv', () => {
  it('applies the defaults of CONTRACT.md §3', () => {
    const config = loadServingApiConfig({});
    expect(config).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      EVENTS_TOPIC: 'events',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LAKE_DIR: './data/lake',
      VIEWS_FILE: 'config/views.yaml',
      PORT: 3000,
      HOST: '127.0.0.1',
      BATCH_INTERVAL_MS: 900_000,
      MAX_FUTURE_SKEW_MS: 86_400_000,
      DEDUP_WINDOW_MS: 3_600_000,
    });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('converts numbers and splits the broker list', () => {
    const config = loadSpeedLayerConfig({ KAFKA_BROKERS: 'a:1,b:2', DEDUP_WINDOW_MS: '60000' });
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(config.DEDUP_WINDOW_MS).toBe(60_000);
  });

  it('names every bad variable and says what it should be', () => {
    let error: unknown;
    try {
      loadServingApiConfig({ PORT: 'eighty', REDIS_URL: 'http://x', KAFKA_BROKERS: 'no-port', ADMIN_TOKEN: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty" is invalid: expected the serving API TCP port');
    expect(message).toContain('REDIS_URL="http://x" is invalid: expected a redis:// or rediss:// URL');
    expect(message).toContain('KAFKA_BROKERS="no-port" is invalid');
    expect(message).toContain('ADMIN_TOKEN');
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('ignores variables an app does not use and empty values', () => {
    const config = loadSpeedLayerConfig({ PORT: 'not-read-here', LAKE_DIR: '' });
    expect(config.LAKE_DIR).toBe('./data/lake');
    expect('PORT' in config).toBe(false);
  });
});
