import { integrationEnv, uniqueName } from '@tributary/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

// Proves Redis is real: a round trip, a pipelined hash increment and a Lua script.
const { redisUrl } = integrationEnv();
const redis = new Redis(redisUrl, { lazyConnect: true });
const prefix = uniqueName('smoke');

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('Redis (real server)', () => {
  it('round-trips values, pipelines and Lua', async () => {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    await redis.set(`${prefix}:greeting`, 'héllo');
    expect(await redis.get(`${prefix}:greeting`)).toBe('héllo');

    const results = await redis.pipeline().hincrby(`${prefix}:h`, 'a', 2).hincrbyfloat(`${prefix}:h`, 'b', 0.5).exec();
    expect(results?.map(([err]) => err)).toEqual([null, null]);
    expect(await redis.hgetall(`${prefix}:h`)).toEqual({ a: '2', b: '0.5' });

    const sum = await redis.eval("return redis.call('HINCRBY', KEYS[1], 'a', ARGV[1])", 1, `${prefix}:h`, '40');
    expect(sum).toBe(42);
  });
});
