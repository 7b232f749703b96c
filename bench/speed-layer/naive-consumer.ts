/**
 * The baseline the speed layer is compared with: the consumer one writes first. A kafkajs consumer
 * group with `eachMessage` (one partition at a time, kafkajs' default), which parses and validates
 * each event with core and then sends, for EACH matching view and EACH metric, its own Redis command:
 *
 *   count              HINCRBY     <m>|<group> 1
 *   sum                HINCRBYFLOAT <m>|<group> v
 *   avg                HINCRBYFLOAT <m>.s|<group> v  and  HINCRBY <m>.n|<group> 1   (two commands)
 *   min / max          EVALSHA of a 3-line "keep the min/max of a hash field" script
 *   distinct           EVALSHA "keep the max" on the HyperLogLog register field <m>.<register>|<group>
 *
 * into the same hash-per-view-bucket layout as the speed layer (keys from createSpeedKeys under the
 * baseline's own prefix, fields as in state-fields.ts), so both write the same kind of data. Modes:
 *
 *   await     every command awaited one by one (one round trip per command)
 *   pipeline  one pipeline per message (one round trip per event), the strongest "per event" variant
 *
 * It neither deduplicates ids nor stores offsets with the data (Kafka auto-commit): less work than
 * the speed layer does, so the comparison flatters the baseline.
 */
import { createKafkaClient } from '@tributary/adapter-kafka';
import { createSpeedKeys } from '@tributary/adapter-redis';
import {
  attributeText,
  createEventValidator,
  encodeGroupKey,
  floorBucket,
  hllRegisterOf,
  type NormalizedEvent,
  type ViewDefinition,
} from '@tributary/core';
import { Redis } from 'ioredis';
import { now, withTimeout } from './support';

export type NaiveMode = 'await' | 'pipeline';
export const NAIVE_MODES: readonly NaiveMode[] = ['pipeline', 'await'];

type Command =
  | { op: 'hincrby'; key: string; field: string; value: number }
  | { op: 'hincrbyfloat'; key: string; field: string; value: number }
  | { op: 'evalsha'; sha: string; key: string; field: string; value: string };

const KEEP_MAX = `local c = redis.call('HGET', KEYS[1], ARGV[1])
if not c or tonumber(ARGV[2]) > tonumber(c) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`;
const KEEP_MIN = KEEP_MAX.replace('>', '<');

/** The baseline's Redis key prefix and consumer group (also for cleaning up after a failed run). */
export const naivePrefix = (runId: string, mode: NaiveMode): string => `bench-naive-${runId}-${mode}`;

export interface NaiveResult {
  mode: NaiveMode;
  events: number;
  commands: number;
  /** From the first message handled to the last one counted. */
  seconds: number;
  eventsPerSecond: number;
  commandsPerSecond: number;
  prefix: string;
  groupId: string;
}

/** The commands the baseline sends for one event (generation 1, like a fresh speed store). */
function commandsFor(views: readonly ViewDefinition[], keys: ReturnType<typeof createSpeedKeys>, sha: { max: string; min: string }, event: NormalizedEvent): Command[] {
  const commands: Command[] = [];
  for (const view of views) {
    if (!view.eventTypes.includes(event.type)) continue;
    const bucket = floorBucket(event.ts, view.granularity);
    const group = encodeGroupKey(view.dimensions.map((d) => attributeText(event.attrs[d])));
    const key = keys.bucketStates(view.name, 1, bucket);
    for (const metric of view.metrics) {
      const value = metric.field === undefined ? undefined : event.attrs[metric.field];
      const name = metric.name;
      switch (metric.kind) {
        case 'count':
          commands.push({ op: 'hincrby', key, field: `${name}|${group}`, value: 1 });
          break;
        case 'sum':
          if (typeof value === 'number') commands.push({ op: 'hincrbyfloat', key, field: `${name}|${group}`, value });
          break;
        case 'min':
        case 'max':
          if (typeof value === 'number') commands.push({ op: 'evalsha', sha: metric.kind === 'min' ? sha.min : sha.max, key, field: `${name}|${group}`, value: String(value) });
          break;
        case 'avg':
          if (typeof value === 'number') {
            commands.push({ op: 'hincrbyfloat', key, field: `${name}.s|${group}`, value });
            commands.push({ op: 'hincrby', key, field: `${name}.n|${group}`, value: 1 });
          }
          break;
        case 'distinct': {
          const text = attributeText(value);
          if (text === null) break;
          const { index, rank } = hllRegisterOf(text);
          commands.push({ op: 'evalsha', sha: sha.max, key, field: `${name}.${index}|${group}`, value: String(rank) });
          break;
        }
      }
    }
  }
  return commands;
}

/**
 * Consumes the first `limit` messages of `topic` (all partitions, from the beginning, in a new
 * consumer group) the naive way and measures the rate.
 */
export async function runNaiveConsumer(options: {
  mode: NaiveMode;
  brokers: readonly string[];
  redisUrl: string;
  topic: string;
  views: readonly ViewDefinition[];
  limit: number;
  runId: string;
  timeoutMs: number;
}): Promise<NaiveResult> {
  const { mode, views, limit } = options;
  const prefix = naivePrefix(options.runId, mode);
  const groupId = prefix;
  const keys = createSpeedKeys(prefix);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const kafka = createKafkaClient({ brokers: options.brokers, clientId: `bench-naive-${mode}` });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const validator = createEventValidator(views);
  try {
    const sha = { max: String(await redis.script('LOAD', KEEP_MAX)), min: String(await redis.script('LOAD', KEEP_MIN)) };
    let events = 0;
    let commands = 0;
    let firstAt = 0;
    let lastAt = 0;
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));

    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (events >= limit) return;
        if (firstAt === 0) firstAt = now();
        const result = message.value ? validator.parse(message.value, Number(message.timestamp)) : undefined;
        if (result?.ok) {
          const list = commandsFor(views, keys, sha, result.event);
          commands += list.length;
          if (mode === 'pipeline') {
            const pipeline = redis.pipeline();
            for (const c of list) {
              if (c.op === 'hincrby') pipeline.hincrby(c.key, c.field, c.value);
              else if (c.op === 'hincrbyfloat') pipeline.hincrbyfloat(c.key, c.field, c.value);
              else pipeline.evalsha(c.sha, 1, c.key, c.field, c.value);
            }
            const replies = await pipeline.exec();
            const failed = replies?.find(([err]) => err);
            if (failed?.[0]) throw failed[0];
          } else {
            for (const c of list) {
              if (c.op === 'hincrby') await redis.hincrby(c.key, c.field, c.value);
              else if (c.op === 'hincrbyfloat') await redis.hincrbyfloat(c.key, c.field, c.value);
              else await redis.evalsha(c.sha, 1, c.key, c.field, c.value);
            }
          }
        }
        events++;
        if (events === limit) {
          lastAt = now();
          finished();
        }
      },
    });
    await withTimeout(done, options.timeoutMs, `the naive consumer (${mode}) did not handle ${limit} events`);
    const seconds = (lastAt - firstAt) / 1000;
    return { mode, events, commands, seconds, eventsPerSecond: events / seconds, commandsPerSecond: commands / seconds, prefix, groupId };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    redis.disconnect();
  }
}
