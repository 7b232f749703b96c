import { describe, expect, it } from 'vitest';
import { redactRedisUrl } from './given-services';
import { givenValue, renderExportLine } from './infra-env';
import { javaMajorVersion } from './kafka-cds';
import { redisServerArgs } from './redis-config';

describe('renderExportLine', () => {
  it('prints one eval-able line', () => {
    expect(renderExportLine({ KAFKA_BROKERS: '127.0.0.1:40123', REDIS_URL: 'redis://127.0.0.1:40125' })).toBe(
      'export KAFKA_BROKERS=127.0.0.1:40123 REDIS_URL=redis://127.0.0.1:40125',
    );
  });

  it('quotes values the shell would split or expand', () => {
    expect(renderExportLine({ KAFKA_BROKERS: 'a:1,b:2', REDIS_URL: "redis://:p$w'd@h:1" })).toBe(
      `export KAFKA_BROKERS=a:1,b:2 REDIS_URL='redis://:p$w'\\''d@h:1'`,
    );
  });
});

describe('givenValue', () => {
  it('treats unset and blank as not given', () => {
    expect(givenValue(undefined)).toBeNull();
    expect(givenValue('  ')).toBeNull();
    expect(givenValue(' 127.0.0.1:9092 ')).toBe('127.0.0.1:9092');
  });
});

describe('redactRedisUrl', () => {
  it('hides the password only', () => {
    expect(redactRedisUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactRedisUrl('redis://:secret@host:6379')).toBe('redis://:***@host:6379');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('javaMajorVersion', () => {
  it('reads modern and 1.x version lines', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajorVersion('java version "1.8.0_392"')).toBe(8);
    expect(javaMajorVersion('something else')).toBeNull();
  });
});

describe('redisServerArgs', () => {
  it('runs a non-persistent, loopback-only, foreground server', () => {
    const args = redisServerArgs({ port: 40125, dataDir: '/run/redis-data', logFile: '/run/redis.log' });
    expect(args.join(' ')).toBe(
      '--port 40125 --bind 127.0.0.1 --save  --appendonly no --dir /run/redis-data --logfile /run/redis.log --daemonize no',
    );
    expect(args[args.indexOf('--save') + 1]).toBe('');
  });
});
