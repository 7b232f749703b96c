/**
 * Speed-layer benchmark (issue 4): throughput of one speed-layer process, the same events through a
 * naive consumer, and produce-ack → applied-in-Redis latency at a steady rate, through a real Kafka
 * broker and a real Redis. Prints figures and records them in docs/benchmarks.md; asserts nothing.
 *
 *   node --import tsx bench/speed-layer/speed-layer.bench.ts
 *
 * Kafka and Redis: those named by KAFKA_BROKERS and REDIS_URL when both are set, else its own
 * (tools/infra: Kafka 3.9.1 + redis-server, stopped at the end). Everything it creates — the topic,
 * its dead-letter topic, the consumer groups, the Redis keys under its prefixes — is deleted at the end.
 *
 * Environment (all optional):
 *   BENCH_EVENTS           events for the throughput phase (default 1 000 000)
 *   BENCH_NAIVE_EVENTS     events each naive mode handles (default min(BENCH_EVENTS, 50 000))
 *   BENCH_NAIVE_MODES      comma list of "pipeline", "await" (default both)
 *   BENCH_LATENCY_RATE     events/s of the latency phase; a comma list runs one after another (default 20000)
 *   BENCH_LATENCY_SECONDS  length of the latency phase (default 30)
 *   BENCH_POLL_MS          period of the Redis offsets poll of the latency phase (default 5)
 *   BENCH_CPU_PROF_DIR     run the speed layer under --cpu-prof, profiles written there on exit
 *   BENCH_CHILD_NODE_ARGS  extra Node flags for the speed layer, space-separated (e.g. --max-semi-space-size=64)
 *   BENCH_WRITE_DOCS       1/0: write docs/benchmarks.md (default 1 when BENCH_EVENTS >= 1 000 000)
 *   BENCH_BASELINE_ROOT    another checkout (e.g. `git archive <commit> | tar -x -C dir`, with links to this
 *                          node_modules): its speed layer runs phase 1 first, on the same events, for comparison
 *   BENCH_BASELINE_LABEL   how the table names that baseline (default: its path)
 *
 * Phases:
 *   0. Pre-produce BENCH_EVENTS demo events (tools/demo, ~150 bytes) round-robin over 3 partitions
 *      of a fresh topic: batches of 3 × 3 000 messages, 4 sends in flight, acks=-1, no compression.
 *   1. Throughput: start ONE speed layer (a child process, fresh Redis prefix, from offset 0); poll
 *      the offsets hash in Redis every 20 ms until every partition's stored offset equals its high
 *      watermark. "Steady" = from the first poll showing progress to the end (excludes process
 *      start, group join and the first fetch); "wall" = from spawn to the end. Then check exactness:
 *      the activity_hourly counts in Redis must add up to BENCH_EVENTS, and every view's states
 *      (HyperLogLog registers included) must equal the same events aggregated here (oracle.ts).
 *      With BENCH_BASELINE_ROOT, the baseline's speed layer runs this phase first (own Redis prefix;
 *      its consumer group is deleted afterwards).
 *   2. Latency: with that process caught up, produce at BENCH_LATENCY_RATE for BENCH_LATENCY_SECONDS
 *      (from a child process) and time each send from its ack to the poll that shows it applied
 *      (see latency.ts); with several rates, wait until caught up between them.
 *   3. Baseline: stop the speed layer; run the naive consumer (naive-consumer.ts) on the same topic in
 *      a new group for BENCH_NAIVE_EVENTS events per mode (rates only; a smaller N than phase 1 when
 *      set so, since it is slow), and compare rates.
 */
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaClient, deadLetterTopic, ensureTopic } from '@tributary/adapter-kafka';
import { createRedisSpeedStore, createSpeedKeys } from '@tributary/adapter-redis';
import { parseViews, type ViewDefinition } from '@tributary/core';
import { Redis } from 'ioredis';
import { CompressionTypes, type Admin, type Producer } from 'kafkajs';
import { demoEvent, seededRandom } from '../../tools/demo/demo-events';
import { startInfra, type InfraHandle } from '../../tools/infra/index';
import { measureLatency, summarize, type LatencyResult } from './latency';
import { checkAgainstOracle, type BulkRecipe, type OracleCheck } from './oracle';
import { NAIVE_MODES, naivePrefix, runNaiveConsumer, type NaiveMode, type NaiveResult } from './naive-consumer';
import {
  cpuDelta,
  cpuSnapshot,
  deleteKeysWithPrefix,
  envNumber,
  formatCpu,
  formatInt,
  formatMs,
  formatRate,
  markdownTable,
  now,
  redisScriptStats,
  redisVersion,
  scrapeMetrics,
  spawnSpeedLayer,
  textTable,
  withTimeout,
  type CpuDelta,
  type SpeedLayerChild,
} from './support';

const ROOT = join(import.meta.dirname, '../..');
const PARTITIONS = 3;
const N = Math.floor(envNumber('BENCH_EVENTS', 1_000_000));
const NAIVE_N = Math.floor(envNumber('BENCH_NAIVE_EVENTS', Math.min(N, 50_000)));
const NAIVE_RUN: NaiveMode[] = (process.env['BENCH_NAIVE_MODES'] ?? NAIVE_MODES.join(','))
  .split(',')
  .map((m) => m.trim())
  .filter((m) => m !== '')
  .map((m) => {
    if (!NAIVE_MODES.includes(m as NaiveMode)) throw new Error(`BENCH_NAIVE_MODES: "${m}" is not one of ${NAIVE_MODES.join(', ')}`);
    return m as NaiveMode;
  });
const LATENCY_RATES = (process.env['BENCH_LATENCY_RATE'] ?? '20000').split(',').map((r) => {
  const rate = Number(r.trim().replace(/_/g, ''));
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`BENCH_LATENCY_RATE: "${r}" is not a positive number`);
  return rate;
});
const LATENCY_SECONDS = envNumber('BENCH_LATENCY_SECONDS', 30);
const POLL_MS = envNumber('BENCH_POLL_MS', 5);
const CPU_PROF_DIR = process.env['BENCH_CPU_PROF_DIR'] || undefined;
const CHILD_NODE_ARGS = (process.env['BENCH_CHILD_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');
const BASELINE_ROOT = process.env['BENCH_BASELINE_ROOT'] || undefined;
const BASELINE_LABEL = process.env['BENCH_BASELINE_LABEL'] || BASELINE_ROOT;
const WRITE_DOCS = (process.env['BENCH_WRITE_DOCS'] ?? (N >= 1_000_000 ? '1' : '0')) === '1';
const TARGETS = { eventsPerSecond: 100_000, ratio: 5, p99Ms: 1_000 };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const topic = `bench-speed-${runId}`;
const prefix = `bench-speed-${runId}`;
const keys = createSpeedKeys(prefix);

// ---------------------------------------------------------------------------------------------
// Phase 0: pre-produce

async function produceBulk(producer: Producer, count: number): Promise<{ seconds: number; avgBytes: number; recipe: BulkRecipe }> {
  const PER_PARTITION = 3_000; // 3 000 × ~150 B stays under the broker's 1 MB record-batch limit
  const recipe: BulkRecipe = { seed: 42, runId, batches: [] };
  const random = seededRandom(recipe.seed);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let bytes = 0;
  let sequence = 0;
  const started = now();
  while (sequence < count) {
    if (failure) break;
    const n = Math.min(PER_PARTITION * PARTITIONS, count - sequence);
    const wallNow = Date.now();
    recipe.batches.push({ wallNow, count: n });
    const messages = new Array<{ partition: number; value: string }>(n);
    for (let i = 0; i < n; i++, sequence++) {
      const value = JSON.stringify(demoEvent(random, wallNow, sequence, runId));
      bytes += value.length; // ASCII
      messages[i] = { partition: sequence % PARTITIONS, value };
    }
    const sending: Promise<void> = producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages }).then(
      () => void inFlight.delete(sending),
      (err: unknown) => {
        failure ??= err;
        inFlight.delete(sending);
      },
    );
    inFlight.add(sending);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { seconds: (now() - started) / 1000, avgBytes: bytes / count, recipe };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: throughput of one speed-layer process

interface ThroughputResult {
  events: number;
  wallSeconds: number;
  firstApplySeconds: number;
  steadySeconds: number;
  steadyEvents: number;
  wallRate: number;
  steadyRate: number;
  batches: number;
  meanApplyMs: number;
  cpu: CpuDelta;
  /** Redis time inside the Lua apply during the steady part (INFO commandstats). */
  lua: { calls: number; ms: number };
  exactCount: number;
  /** HyperLogLog register updates the speed layer sent to Redis and skipped (its register cache). */
  registers: { sent: number; skipped: number };
  completed: boolean;
}

async function measureThroughput(
  infra: InfraHandle,
  redis: Redis,
  admin: Admin,
  lakeDir: string,
  started: (child: SpeedLayerChild) => void,
  run: { root: string; prefix: string; cpuProfDir?: string | undefined } = { root: ROOT, prefix, cpuProfDir: CPU_PROF_DIR },
): Promise<{ result: ThroughputResult; child: SpeedLayerChild }> {
  const keys = createSpeedKeys(run.prefix);
  const high = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  const total = [...high.values()].reduce((n, o) => n + Number(o.high - o.low), 0);
  const appliedNow = async () => {
    const stored = await redis.hgetall(keys.offsets(topic));
    let applied = 0;
    let caughtUp = true;
    for (const [partition, { low, high: h }] of high) {
      const value = stored[String(partition)];
      const next = value === undefined ? low : BigInt(value);
      applied += Number((next < h ? next : h) - low);
      if (next < h) caughtUp = false;
    }
    return { applied, caughtUp };
  };

  const startCpu = await cpuSnapshot({ kafka: infra.kafka?.pid }, redis);
  const spawnedAt = now();
  const child = await spawnSpeedLayer({
    root: run.root,
    cpuProfDir: run.cpuProfDir,
    nodeArgs: CHILD_NODE_ARGS,
    startTimeoutMs: 60_000,
    env: {
      KAFKA_BROKERS: infra.env.KAFKA_BROKERS,
      REDIS_URL: infra.env.REDIS_URL,
      EVENTS_TOPIC: topic,
      EVENTS_PARTITIONS: String(PARTITIONS),
      REDIS_KEY_PREFIX: run.prefix,
      LAKE_DIR: lakeDir,
      VIEWS_FILE: join(run.root, 'config/views.yaml'),
      SPEED_LAYER_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    },
  });
  started(child);
  log(`speed layer started (pid ${child.pid}, port ${child.port}) in ${((now() - spawnedAt) / 1000).toFixed(1)} s; consuming ${formatInt(total)} events`);

  // Budget: 60 s to start consuming plus 5 000 events/s at worst.
  const deadline = spawnedAt + 60_000 + (total / 5_000) * 1000;
  let first: { at: number; applied: number } | undefined;
  let firstCpu = startCpu;
  let firstLua = await redisScriptStats(redis);
  let last = { at: spawnedAt, applied: 0, caughtUp: false };
  let nextReport = now() + 5_000;
  while (now() < deadline && !child.exited()) {
    const state = await appliedNow();
    last = { at: now(), ...state };
    if (!first && state.applied > 0) {
      first = { at: last.at, applied: state.applied };
      firstCpu = await cpuSnapshot({ speedLayer: child.pid, kafka: infra.kafka?.pid }, redis);
      firstLua = await redisScriptStats(redis);
    }
    if (state.caughtUp) break;
    if (last.at > nextReport) {
      log(`  ${formatInt(state.applied)} / ${formatInt(total)} applied`);
      nextReport = last.at + 5_000;
    }
    await sleep(20);
  }
  const endCpu = await cpuSnapshot({ speedLayer: child.pid, kafka: infra.kafka?.pid }, redis);
  const endLua = await redisScriptStats(redis);
  if (!last.caughtUp) log(`the speed layer did not catch up (${formatInt(last.applied)} of ${formatInt(total)} applied${child.exited() ? '; it exited' : ''})`);

  const metrics = await scrapeMetrics(child.port).catch(() => new Map<string, number>());
  const batches = metrics.get('trb_speed_apply_seconds_count') ?? Number.NaN;
  const applySum = metrics.get('trb_speed_apply_seconds_sum') ?? Number.NaN;

  // Exactness: each event is one activity_hourly `events` count, so they add up to N.
  const views = parseViews(readFileSync(join(ROOT, 'config/views.yaml'), 'utf8'), 'config/views.yaml');
  const activity = views.find((v) => v.name === 'activity_hourly') as ViewDefinition;
  const store = createRedisSpeedStore({ redis, keys, topic, dedupWindowMs: 3_600_000 });
  let exactCount = 0;
  for (const row of await store.readStates(activity, { fromBucket: 0, toBucket: Number.MAX_SAFE_INTEGER, afterGeneration: 0 })) {
    exactCount += row.states[0] as number;
  }

  const f = first ?? { at: last.at, applied: last.applied };
  const steadySeconds = (last.at - f.at) / 1000;
  const wallSeconds = (last.at - spawnedAt) / 1000;
  // The CPU shares of the steady part; the speed layer's own counter starts at its spawn.
  const cpu = cpuDelta(firstCpu, endCpu);
  if (!first) cpu.speedLayer = endCpu.speedLayer;
  return {
    child,
    result: {
      events: last.applied,
      wallSeconds,
      firstApplySeconds: (f.at - spawnedAt) / 1000,
      steadySeconds,
      steadyEvents: last.applied - f.applied,
      wallRate: last.applied / wallSeconds,
      steadyRate: (last.applied - f.applied) / steadySeconds,
      batches,
      meanApplyMs: (applySum / batches) * 1000,
      cpu,
      lua: { calls: endLua.calls - firstLua.calls, ms: (endLua.usec - firstLua.usec) / 1000 },
      exactCount,
      registers: {
        sent: metrics.get('trb_speed_hll_registers_total{outcome="sent"}') ?? Number.NaN,
        skipped: metrics.get('trb_speed_hll_registers_total{outcome="skipped"}') ?? Number.NaN,
      },
      completed: last.caughtUp,
    },
  };
}

/** Deletes the speed layer's consumer group of the bench topic (retried while its last member leaves). */
async function deleteSpeedGroup(admin: Admin): Promise<void> {
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.endsWith(topic) && !g.startsWith('bench-naive-'));
  for (let attempt = 1; groups.length > 0; attempt++) {
    try {
      await admin.deleteGroups(groups);
      return;
    } catch (err) {
      if (attempt >= 40) throw err;
      await sleep(250);
    }
  }
}

/** Waits until the speed layer's stored offsets reach the topic's high watermarks; false on timeout. */
async function waitCaughtUp(admin: Admin, redis: Redis, timeoutMs: number): Promise<boolean> {
  const high = await admin.fetchTopicOffsets(topic);
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const stored = await redis.hgetall(keys.offsets(topic));
    if (high.every((o) => BigInt(stored[String(o.partition)] ?? '-1') >= BigInt(o.high))) return true;
    await sleep(50);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Report

/** The speed layer's apply calls during a latency run (its metrics, Redis' commandstats). */
interface LatencyApply {
  batches: number;
  eventsPerBatch: number;
  /** Around store.applyBatch in the process: payload building + the Lua call + event-loop waits. */
  meanApplyMs: number;
  /** Redis' own (wall) time in the Lua script. */
  luaMsPerCall: number;
}

interface LatencyRun {
  result: LatencyResult;
  cpu: CpuDelta;
  apply: LatencyApply;
}

interface Figures {
  date: string;
  machine: string;
  command: string;
  produce: { seconds: number; avgBytes: number };
  throughput: ThroughputResult;
  /** The same phase 1 with the speed layer of BENCH_BASELINE_ROOT, run just before. */
  baseline: ThroughputResult | undefined;
  oracle: OracleCheck;
  latency: LatencyRun[];
  naive: NaiveResult[];
  loadBefore: number[];
  loadAfter: number[];
}

const perEventUs = (seconds: number | null, events: number) => (seconds === null ? Number.NaN : (seconds * 1e6) / events);

function tableRows(f: Figures): string[][] {
  const t = f.throughput;
  const rows: string[][] = [['Figure', 'Value', 'Target']];
  rows.push([
    `Speed layer, 1 process, ${formatInt(t.events)} events (steady)`,
    `${formatRate(t.steadyRate)} events/s (${t.steadySeconds.toFixed(1)} s)`,
    `≥ ${formatRate(TARGETS.eventsPerSecond)} events/s ${t.steadyRate >= TARGETS.eventsPerSecond ? '✓' : '✗'}`,
  ]);
  const b = f.baseline;
  if (b) {
    rows.push([
      `Baseline: ${BASELINE_LABEL ?? 'baseline'}, same events, just before (steady)`,
      `${formatRate(b.steadyRate)} events/s (${b.steadySeconds.toFixed(1)} s); CPU per event ${perEventUs(b.cpu.speedLayer, b.steadyEvents).toFixed(1)} / ${perEventUs(b.cpu.redis, b.steadyEvents).toFixed(1)} µs (process / Redis); exact ${b.exactCount === b.events ? '✓' : '✗'}`,
      '',
    ]);
    rows.push(['Speed layer ÷ baseline (steady)', `${(t.steadyRate / b.steadyRate).toFixed(2)}×`, '']);
  }
  rows.push([
    'Speed layer, wall from spawn (incl. start, join)',
    `${formatRate(t.wallRate)} events/s (${t.wallSeconds.toFixed(1)} s, first apply at ${t.firstApplySeconds.toFixed(1)} s)`,
    '',
  ]);
  rows.push([
    'CPU per event, steady (speed layer / Redis / broker)',
    `${perEventUs(t.cpu.speedLayer, t.steadyEvents).toFixed(1)} / ${perEventUs(t.cpu.redis, t.steadyEvents).toFixed(1)} / ${perEventUs(t.cpu.kafka, t.steadyEvents).toFixed(1)} µs`,
    '',
  ]);
  rows.push([
    'Apply calls (one Lua call per partition batch)',
    `${formatInt(t.batches)} calls of ${formatInt(t.events / t.batches)} events; ${formatMs(t.meanApplyMs)} each in the process, ${formatMs(t.lua.ms / Math.max(1, t.lua.calls))} of it in Redis' Lua`,
    '',
  ]);
  rows.push(['Exactness (activity_hourly counts in Redis)', `${formatInt(t.exactCount)} of ${formatInt(t.events)}`, t.exactCount === t.events ? 'equal ✓' : 'equal ✗']);
  const o = f.oracle;
  rows.push([
    `Exactness (all ${o.views} views against an in-bench oracle)`,
    `${formatInt(o.rows)} rows, ${formatInt(o.registers)} HyperLogLog registers: ${formatInt(o.mismatches)} mismatches`,
    o.mismatches === 0 ? 'equal ✓' : 'equal ✗',
  ]);
  const r = t.registers;
  rows.push([
    'HyperLogLog register updates (sent / skipped by the register cache)',
    `${formatInt(r.sent)} / ${formatInt(r.skipped)} (${((100 * r.skipped) / (r.sent + r.skipped)).toFixed(0)}% skipped); ${(r.sent / t.events).toFixed(2)} sent per event`,
    '',
  ]);
  for (const n of f.naive) {
    const label = n.mode === 'pipeline' ? 'one pipeline per event' : 'each command awaited';
    rows.push([
      `Naive consumer, ${label} (first ${formatInt(n.events)} events)`,
      `${formatRate(n.eventsPerSecond)} events/s (${(n.commands / n.events).toFixed(2)} commands/event, ${formatRate(n.commandsPerSecond)} commands/s)`,
      '',
    ]);
  }
  for (const n of f.naive) {
    const ratio = t.steadyRate / n.eventsPerSecond;
    rows.push([`Speed layer ÷ naive (${n.mode})`, `${ratio.toFixed(1)}×`, `≥ ${TARGETS.ratio}× ${ratio >= TARGETS.ratio ? '✓' : '✗'}`]);
  }
  for (const { result: l, apply } of f.latency) {
    const a = summarize(l.ackToApplied);
    const s = summarize(l.sendToApplied);
    const at = `${formatRate(l.targetRate)} events/s`;
    rows.push([
      `Latency ack → applied at ${at}, ${l.seconds} s (p50 / p95 / p99 / max)`,
      `${formatMs(a.p50)} / ${formatMs(a.p95)} / ${formatMs(a.p99)} / ${formatMs(a.max)}`,
      `p99 < ${formatMs(TARGETS.p99Ms)} ${a.p99 < TARGETS.p99Ms && l.unresolved === 0 ? '✓' : '✗'}`,
    ]);
    rows.push([`Latency send → applied at ${at} (p50 / p95 / p99 / max)`, `${formatMs(s.p50)} / ${formatMs(s.p95)} / ${formatMs(s.p99)} / ${formatMs(s.max)}`, '']);
    rows.push([
      `Latency run at ${at}: produced, measured`,
      `${formatInt(l.produced)} events at ${formatRate(l.achievedRate)} events/s; ${formatInt(l.ackToApplied.length)} samples, ${l.unresolved} unresolved; a poll every ${l.pollPeriodMs.toFixed(1)} ms`,
      '',
    ]);
    rows.push([
      `Latency run at ${at}: apply calls`,
      `${formatInt(apply.batches)} calls of ${formatInt(apply.eventsPerBatch)} events; ${formatMs(apply.meanApplyMs)} each in the process, ${formatMs(apply.luaMsPerCall)} of it in Redis' Lua`,
      '',
    ]);
  }
  return rows;
}

function cpuLines(f: Figures): string[] {
  const lines = [`Throughput phase (steady part, ${f.throughput.cpu.wallSeconds.toFixed(1)} s): ${formatCpu(f.throughput.cpu)}.`];
  for (const { result, cpu } of f.latency) lines.push(`Latency run at ${formatRate(result.targetRate)} events/s (${cpu.wallSeconds.toFixed(1)} s): ${formatCpu(cpu)}.`);
  return lines;
}

/**
 * The interpretation recorded with the figures: computed parts from this run, plus what a
 * `--cpu-prof` profile of the speed layer under this benchmark (BENCH_CPU_PROF_DIR) and a look at
 * the apply payload showed. Keep it in step with the code.
 */
function interpretation(f: Figures): string[] {
  const t = f.throughput;
  const cpu = t.cpu;
  const share = (s: number | null) => (s === null ? 'n/a' : `${Math.round((100 * s) / cpu.wallSeconds)}%`);
  const processUs = perEventUs(cpu.speedLayer, t.steadyEvents);
  const redisUs = perEventUs(cpu.redis, t.steadyEvents);
  const naive = f.naive[0];
  const r = t.registers;
  const b = f.baseline;
  const lines = [
    `- **What bounds the rate: the speed-layer process.** It ran at ${share(cpu.speedLayer)} of a core and spent ${processUs.toFixed(1)} µs of CPU per event, so one process tops out near ${formatRate(1e6 / processUs)} events/s; ` +
      `Redis spent ${redisUs.toFixed(1)} µs per event (almost all in the apply-batch Lua; ${share(cpu.redis)} of a core, a ceiling near ${formatRate(1e6 / redisUs)} events/s). ` +
      'Redis and the process now overlap: `eachBatch` returns once a batch is decoded and pre-aggregated, and the batch is applied by a per-partition apply queue (one apply in flight per partition, the next waits for it), so kafkajs fetches and the process parses the next batch while Redis applies this one. ' +
      'The offset check in the Lua call keeps it exactly once: an apply that does not start where Redis says seeks the partition back.',
    `- **What changed against the baseline** (the speed layer before this work, ${b ? `here ${formatRate(b.steadyRate)} events/s, ${perEventUs(b.cpu.speedLayer, b.steadyEvents).toFixed(1)} / ${perEventUs(b.cpu.redis, b.steadyEvents).toFixed(1)} µs per event in the process / Redis` : 'not run: set BENCH_BASELINE_ROOT'}; the previous record, 2026-11-23 on 2 × AMD EPYC, had it at 77k events/s and 11.0 / 5.3 µs: machines differ, hence a baseline in the same run). ` +
      `(1) A HyperLogLog register cache in the process: an update that cannot raise a register (the process already wrote that rank or more to that field, and Redis registers only grow) is not sent; here ${formatInt(r.skipped)} of ${formatInt(r.sent + r.skipped)} register updates (${((100 * r.skipped) / (r.sent + r.skipped)).toFixed(0)}%) were skipped, leaving ${(r.sent / t.events).toFixed(2)} per event. ` +
      'It is fenced in Lua (the expected marker value and per-partition offset watermarks travel with each call; a rebuilt or rolled-back store refuses the batch, which is then sent in full), see docs/speed-layer.md. ' +
      '(2) The apply arguments are flat `ARGV` instead of one JSON document: no `cjson.decode`, registers applied with one `HMGET` + one `HSET` per hash and 2 000 registers. ' +
      '(3) The per-partition apply pipeline above. (4) Kafka offsets were already committed on a timer rather than after each batch.',
    "- **Where the process' time goes** (`BENCH_CPU_PROF_DIR` profile of a 500k-event run with (1) and (2), share of its busy time): garbage collection ~15%, `JSON.parse` + validation ~11%, aggregation (md5 for HyperLogLog included) ~12%, " +
      'writing the Lua call to the socket (ioredis) ~11%, building its arguments ~4%, kafkajs record decoding ~5%, start-up (`tsx` compilation) ~7%; the rest is kafkajs/ioredis plumbing. ' +
      'Next steps, not done: fewer allocations per event in decode and aggregation (a closure and a normalized event per message), more partitions with one process per core (bounded on 2 cores shared with Kafka and Redis).',
    `- **Exactness.** Besides the activity_hourly counts, every view's states in Redis (counts, sums, min/max, averages and all ${formatInt(f.oracle.registers)} HyperLogLog registers) are compared with the same events aggregated in the bench process: ${formatInt(f.oracle.mismatches)} mismatches.`,
  ];
  if (naive) {
    lines.push(
      `- **Against the naive consumer.** It sends ${(naive.commands / naive.events).toFixed(1)} Redis commands per event and waits for at least one round trip per event; ` +
        `the speed layer makes one Lua call per ~${formatInt(t.events / t.batches)} events. The naive rate is measured on the first ${formatInt(naive.events)} events only (rates, not times, are compared).`,
    );
  }
  for (const { result, apply, cpu: runCpu } of f.latency) {
    const a = summarize(result.ackToApplied);
    const brokerShare = runCpu.kafka === null ? 'n/a' : `${Math.round((100 * runCpu.kafka) / runCpu.wallSeconds)}%`;
    const cycle = (apply.eventsPerBatch * PARTITIONS) / result.targetRate;
    lines.push(
      `- **Latency at ${formatRate(result.targetRate)} events/s.** p99 ${formatMs(a.p99)}. The apply calls carried ~${formatInt(apply.eventsPerBatch)} events each, i.e. one fetch cycle every ~${formatMs(cycle * 1000)}: ` +
        (cycle < 0.5
          ? `the consumer kept up; the median is one fetch plus one Lua apply (${formatMs(apply.luaMsPerCall)} in Redis) and up to one poll period; the tail comes from stalls on the shared cores (the broker alone used ${brokerShare} of a core serving ~100 produce requests/s and the consumer's fetches).`
          : 'the consumer was running at its ceiling (the cycle grows with the backlog), so latency is queueing: the bench producer (~15-20 µs of CPU per message in kafkajs), the broker, Redis and the speed layer compete for the same cores.'),
    );
  }
  lines.push(
    `- **Caveats.** Kafka, Redis, the speed layer and the bench share ${cpus().length} cores with whatever else runs (load average ${f.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${f.loadAfter.map((l) => l.toFixed(2)).join(' ')} after). ` +
      'Redis\' Lua times are wall times (INFO commandstats) and grow when Redis waits for a CPU.',
  );
  return lines;
}

function markdownSection(f: Figures): string {
  const rates = f.latency.map((l) => formatRate(l.result.targetRate)).join(', ') || formatRate(LATENCY_RATES[0] ?? 0);
  return [
    '## Speed layer',
    '',
    `Run on ${f.date} with \`${f.command}\` from the repository root (knobs: see the header of`,
    '`bench/speed-layer/speed-layer.bench.ts`).',
    '',
    `Machine: ${f.machine}.`,
    '',
    markdownTable(tableRows(f)),
    '',
    `Pre-producing ${formatInt(f.throughput.events)} events (avg ${f.produce.avgBytes.toFixed(0)} bytes, 3 partitions, acks=-1, no compression) took ${f.produce.seconds.toFixed(1)} s.`,
    'CPU (user + system seconds, from /proc and Redis `INFO cpu`):',
    '',
    ...cpuLines(f).map((l) => `- ${l}`),
    '',
    '**How it is measured.** Throughput: events pre-produced to a fresh topic, then one speed-layer process started from offset 0; ' +
      "done when every partition's offset stored in Redis (written by the same Lua call as the states) equals its high watermark, polled every 20 ms. " +
      '"Steady" starts at the first poll that shows progress (it excludes process start, `tsx` compilation and the group join). ' +
      `Latency: with the same process caught up, a paced producer (a child process) sends at ${rates} events/s, a send every 10 ms; ` +
      `a (send, partition) sample counts as applied at the first ${POLL_MS} ms poll of the offsets hash past its last offset, and its latency runs from the producer's ack. ` +
      'Baseline: a kafkajs `eachMessage` consumer in its own group that sends one Redis command per event per metric of each matching view (avg = 2 commands, min/max and HyperLogLog registers = one `EVALSHA` each) ' +
      'into the same hash layout; "pipeline" sends an event\'s commands as one pipeline, "await" awaits each command. It neither deduplicates ids nor keeps offsets with the data, so it does less than the speed layer.',
    '',
    '**Interpretation.**',
    '',
    ...interpretation(f),
    '',
  ].join('\n');
}

function writeDocs(section: string): string {
  const path = join(ROOT, 'docs/benchmarks.md');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\nFigures recorded by the benchmarks under `bench/`. Each section is rewritten by its benchmark.\n';
  const start = current.search(/^## Speed layer[ \t]*$/m);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    const tail = end < 0 ? '' : rest.slice(end);
    next = `${current.slice(0, start)}${section}${tail ? `\n${tail}` : ''}`;
  }
  writeFileSync(path, `${next.trimEnd()}\n`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const loadBefore = loadavg();
  log(`run ${runId}: ${formatInt(N)} events, naive ${NAIVE_RUN.join('+') || 'skipped'} on ${formatInt(NAIVE_N)}, latency ${LATENCY_RATES.map(formatRate).join(', ')}/s × ${LATENCY_SECONDS} s`);
  const views = parseViews(readFileSync(join(ROOT, 'config/views.yaml'), 'utf8'), 'config/views.yaml');

  const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
  const cleanup = async () => {
    for (const { name, run } of cleanups.splice(0).reverse()) {
      try {
        await withTimeout(run(), 60_000, name);
      } catch (err) {
        log(`cleanup "${name}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const given = { KAFKA_BROKERS: process.env['KAFKA_BROKERS'], REDIS_URL: process.env['REDIS_URL'] };
    const useGiven = Boolean(given.KAFKA_BROKERS?.trim() && given.REDIS_URL?.trim());
    const infra = await startInfra({
      stateDir: join(tmpdir(), 'bench-infra-speed-layer'),
      env: useGiven ? given : {},
      log: (m) => process.stderr.write(`[infra] ${m}\n`),
      handleSignals: false,
    });
    cleanups.push({ name: 'infra', run: () => infra.stop() });

    const redis = new Redis(infra.env.REDIS_URL, { maxRetriesPerRequest: 3 });
    cleanups.push({ name: 'redis connection', run: async () => redis.disconnect() });
    const kafka = createKafkaClient({ brokers: infra.env.KAFKA_BROKERS.split(','), clientId: 'bench-speed-layer' });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push({ name: 'kafka admin', run: () => admin.disconnect() });

    const lakeDir = mkdtempSync(join(tmpdir(), 'bench-speed-lake-'));
    cleanups.push({ name: 'lake dir', run: async () => rmSync(lakeDir, { recursive: true, force: true }) });
    cleanups.push({
      name: 'topics, groups and keys',
      run: async () => {
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.endsWith(topic) || g.startsWith(`bench-naive-${runId}`));
        if (groups.length > 0) await admin.deleteGroups(groups).catch((err: unknown) => log(`deleting groups ${groups.join(', ')}: ${String(err)}`));
        const topics = (await admin.listTopics()).filter((t) => t === topic || t === deadLetterTopic(topic));
        if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
        let deleted = await deleteKeysWithPrefix(redis, prefix);
        for (const mode of NAIVE_MODES) deleted += await deleteKeysWithPrefix(redis, naivePrefix(runId, mode));
        log(`deleted topics ${topics.join(', ')}, groups ${groups.join(', ') || '-'}, ${formatInt(deleted)} Redis keys`);
      },
    });

    await ensureTopic(admin, topic, PARTITIONS);
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    cleanups.push({ name: 'producer', run: () => producer.disconnect() });

    const kafkaVersion = infra.kafka ? 'Kafka 3.9.1 (one local KRaft broker, tools/infra)' : `Kafka at ${infra.env.KAFKA_BROKERS}`;
    const machine = `${cpus().length} × ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${kafkaVersion}, Redis ${await redisVersion(redis)}${infra.redis ? ' (local, tools/infra)' : ''}`;

    log(`producing ${formatInt(N)} events to ${topic}`);
    const produce = await produceBulk(producer, N);
    log(`produced in ${produce.seconds.toFixed(1)} s (${formatRate(N / produce.seconds)} events/s, avg ${produce.avgBytes.toFixed(0)} bytes)`);

    let baseline: ThroughputResult | undefined;
    if (BASELINE_ROOT) {
      log(`baseline: the speed layer of ${BASELINE_ROOT} on the same events`);
      const basePrefix = `${prefix}-baseline`;
      const run = await measureThroughput(infra, redis, admin, lakeDir, (c) => cleanups.push({ name: 'baseline speed layer', run: () => c.stop() }), {
        root: BASELINE_ROOT,
        prefix: basePrefix,
      });
      baseline = run.result;
      await run.child.stop();
      log(`baseline throughput: ${formatRate(baseline.steadyRate)} events/s steady, ${formatRate(baseline.wallRate)} events/s wall`);
      // The next speed layer joins the same group name and must start from Redis' (fresh) offsets.
      await deleteSpeedGroup(admin);
      await deleteKeysWithPrefix(redis, basePrefix);
    }
    const { result: throughput, child } = await measureThroughput(infra, redis, admin, lakeDir, (c) => cleanups.push({ name: 'speed layer', run: () => c.stop() }));
    log(`throughput: ${formatRate(throughput.steadyRate)} events/s steady, ${formatRate(throughput.wallRate)} events/s wall`);
    // Before the latency phase adds events: every view's states in Redis against the same events aggregated here.
    const oracle = await checkAgainstOracle(createRedisSpeedStore({ redis, keys, topic, dedupWindowMs: 3_600_000 }), views, produce.recipe);
    log(`oracle: ${formatInt(oracle.rows)} rows of ${oracle.views} views, ${formatInt(oracle.registers)} HyperLogLog registers, ${oracle.mismatches} mismatches${oracle.firstMismatch ? ` (first: ${oracle.firstMismatch})` : ''}`);

    const latency: LatencyRun[] = [];
    for (const [i, rate] of LATENCY_RATES.entries()) {
      if (!throughput.completed || child.exited() || !(await waitCaughtUp(admin, redis, 120_000))) {
        log(`skipping the latency run at ${formatRate(rate)} events/s: the speed layer is not caught up`);
        continue;
      }
      log(`latency: ${formatRate(rate)} events/s for ${LATENCY_SECONDS} s`);
      const before = await cpuSnapshot({ speedLayer: child.pid, kafka: infra.kafka?.pid }, redis);
      const metricsBefore = await scrapeMetrics(child.port);
      const luaBefore = await redisScriptStats(redis);
      const pollRedis = new Redis(infra.env.REDIS_URL, { maxRetriesPerRequest: 3 });
      let result: LatencyResult;
      try {
        result = await measureLatency({
          brokers: infra.env.KAFKA_BROKERS.split(','),
          redis: pollRedis,
          offsetsKey: keys.offsets(topic),
          topic,
          partitions: PARTITIONS,
          rate,
          seconds: LATENCY_SECONDS,
          pollMs: POLL_MS,
          runId,
          firstSequence: N + (i + 1) * 1_000_000_000,
          drainTimeoutMs: 60_000,
        });
      } finally {
        pollRedis.disconnect();
      }
      const cpu = cpuDelta(before, await cpuSnapshot({ speedLayer: child.pid, kafka: infra.kafka?.pid }, redis));
      const metricsAfter = await scrapeMetrics(child.port);
      const luaAfter = await redisScriptStats(redis);
      const delta = (name: string) => (metricsAfter.get(name) ?? Number.NaN) - (metricsBefore.get(name) ?? Number.NaN);
      const batches = delta('trb_speed_apply_seconds_count');
      const apply: LatencyApply = {
        batches,
        eventsPerBatch: delta('trb_speed_events_applied_total') / batches,
        meanApplyMs: (1000 * delta('trb_speed_apply_seconds_sum')) / batches,
        luaMsPerCall: (luaAfter.usec - luaBefore.usec) / 1000 / Math.max(1, luaAfter.calls - luaBefore.calls),
      };
      latency.push({ result, cpu, apply });
      const a = summarize(result.ackToApplied);
      log(`latency at ${formatRate(rate)} events/s: ack → applied p50 ${formatMs(a.p50)}, p99 ${formatMs(a.p99)}, max ${formatMs(a.max)}`);
    }
    log('stopping the speed layer');
    const code = await child.stop();
    if (code !== 0) log(`the speed layer exited with ${code}`);
    if (CPU_PROF_DIR) log(`CPU profile of the speed layer written to ${CPU_PROF_DIR}`);

    const naive: NaiveResult[] = [];
    for (const mode of NAIVE_RUN) {
      log(`naive consumer (${mode}) on ${formatInt(NAIVE_N)} events`);
      const result = await runNaiveConsumer({
        mode,
        brokers: infra.env.KAFKA_BROKERS.split(','),
        redisUrl: infra.env.REDIS_URL,
        topic,
        views,
        limit: Math.min(NAIVE_N, N),
        runId,
        timeoutMs: 60_000 + (NAIVE_N / 500) * 1000,
      });
      naive.push(result);
      log(`naive (${mode}): ${formatRate(result.eventsPerSecond)} events/s, ${formatRate(result.commandsPerSecond)} commands/s`);
    }

    const figures: Figures = {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      machine,
      command: `${N === 1_000_000 ? '' : `BENCH_EVENTS=${N} `}node --import tsx bench/speed-layer/speed-layer.bench.ts`,
      produce,
      throughput,
      baseline,
      oracle,
      latency,
      naive,
      loadBefore,
      loadAfter: loadavg(),
    };
    console.log(`\nSpeed layer benchmark — ${figures.date}\n${machine}\n`);
    console.log(textTable(tableRows(figures)));
    console.log(`\nPre-produced ${formatInt(throughput.events)} events (avg ${produce.avgBytes.toFixed(0)} bytes) in ${produce.seconds.toFixed(1)} s.`);
    for (const line of cpuLines(figures)) console.log(line);
    console.log(`Load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${figures.loadAfter.map((l) => l.toFixed(2)).join(' ')}.`);
    if (WRITE_DOCS) console.log(`\nWrote ${writeDocs(markdownSection(figures))}`);
    else console.log('\n(docs/benchmarks.md not written: BENCH_WRITE_DOCS=1 to write it for this size)');
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
