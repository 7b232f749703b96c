/**
 * Plumbing of the speed-layer benchmark: the speed-layer child process, CPU accounting, Prometheus
 * scraping, percentiles and formatting. Nothing here measures anything by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

export const now = (): number => performance.now();

/** A positive number from the environment, or `fallback` when unset. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return value;
}

/** Resolves with `promise`, or rejects with `message` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} (timed out after ${Math.round(ms / 1000)} s)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// The speed layer as a child process

export interface SpeedLayerChild {
  readonly pid: number;
  /** Its operations port (SPEED_LAYER_PORT=0 lets it pick one; read from its start log line). */
  readonly port: number;
  /** The last log lines, for diagnostics. */
  tail(): string[];
  exited(): boolean;
  /** SIGTERM (graceful: the in-flight batch completes), SIGKILL after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `node --import tsx apps/speed-layer/src/main.ts` in `root` with `env` and resolves once it
 * logged "speed layer started". Its warnings and errors are echoed to stderr.
 */
export async function spawnSpeedLayer(options: {
  root: string;
  env: Record<string, string>;
  cpuProfDir?: string | undefined;
  /** Extra Node flags for the child (e.g. --max-semi-space-size=64). */
  nodeArgs?: readonly string[];
  startTimeoutMs: number;
}): Promise<SpeedLayerChild> {
  const args = ['--import', 'tsx', ...(options.nodeArgs ?? [])];
  if (options.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  args.push('apps/speed-layer/src/main.ts');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exitCode: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? null : 0);
      resolve(exitCode);
    });
  });

  let started: ((port: number) => void) | undefined;
  const startedPort = new Promise<number>((resolve) => (started = resolve));
  const remember = (line: string) => {
    lines.push(line);
    if (lines.length > 60) lines.shift();
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    remember(line);
    let entry: { level?: number; msg?: string; port?: number } | undefined;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry?.msg === 'speed layer started' && typeof entry.port === 'number') started?.(entry.port);
    if ((entry?.level ?? 0) >= 40) process.stderr.write(`[speed-layer] ${line}\n`);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    remember(line);
    process.stderr.write(`[speed-layer:stderr] ${line}\n`);
  });

  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (exitCode !== undefined) return exitCode;
    child.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([exit, timer])) === 'timeout') {
      process.stderr.write(`[bench] the speed layer did not stop within ${graceMs} ms: SIGKILL\n`);
      child.kill('SIGKILL');
    }
    return withTimeout(exit, 10_000, 'the speed layer did not exit after SIGKILL');
  };

  try {
    const port = await withTimeout(
      Promise.race([
        startedPort,
        exit.then((code) => {
          throw new Error(`the speed layer exited with ${code} before it started`);
        }),
      ]),
      options.startTimeoutMs,
      'the speed layer did not log "speed layer started"',
    );
    return { pid: child.pid as number, port, tail: () => [...lines], exited: () => exitCode !== undefined, stop };
  } catch (err) {
    await stop(5_000).catch(() => undefined);
    process.stderr.write(`[bench] speed layer output:\n${lines.join('\n')}\n`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting and metrics

/** user + system CPU seconds of a live process (Linux /proc), or null when unreadable. */
export function processCpuSeconds(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "(comm) ": state is field 3, utime field 14 and stime field 15 (1-based, man 5 proc).
    return (Number(fields[11]) + Number(fields[12])) / 100; // CLK_TCK is 100 on Linux
  } catch {
    return null;
  }
}

/** Redis' own CPU seconds (INFO cpu: main thread and background threads, user + system). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

export async function redisVersion(redis: Redis): Promise<string> {
  return /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? 'unknown';
}

/** Prometheus text exposition → map "name{labels}" → value (comments dropped). */
export async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  const metrics = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    metrics.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return metrics;
}

/** A snapshot of everything's CPU time, to compute per-phase deltas. */
export interface CpuSnapshot {
  at: number;
  speedLayer: number | null;
  kafka: number | null;
  redis: number;
  bench: number;
}

export async function cpuSnapshot(pids: { speedLayer?: number | undefined; kafka?: number | null | undefined }, redis: Redis): Promise<CpuSnapshot> {
  const usage = process.cpuUsage();
  return {
    at: now(),
    speedLayer: processCpuSeconds(pids.speedLayer),
    kafka: processCpuSeconds(pids.kafka),
    redis: await redisCpuSeconds(redis),
    bench: (usage.user + usage.system) / 1e6,
  };
}

export interface CpuDelta {
  wallSeconds: number;
  speedLayer: number | null;
  kafka: number | null;
  redis: number;
  bench: number;
}

export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : y - x);
  return {
    wallSeconds: (b.at - a.at) / 1000,
    speedLayer: diff(a.speedLayer, b.speedLayer),
    kafka: diff(a.kafka, b.kafka),
    redis: b.redis - a.redis,
    bench: b.bench - a.bench,
  };
}

/** "speed layer 1.52 s (76%), Redis …" with shares of one core over the wall time. */
export function formatCpu(cpu: CpuDelta): string {
  const part = (name: string, seconds: number | null) =>
    seconds === null ? `${name} n/a` : `${name} ${seconds.toFixed(1)} s (${Math.round((100 * seconds) / cpu.wallSeconds)}% of a core)`;
  return [part('speed layer', cpu.speedLayer), part('Redis', cpu.redis), part('Kafka broker', cpu.kafka), part('bench process', cpu.bench)].join(', ');
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const formatRate = (perSecond: number): string =>
  !Number.isFinite(perSecond) ? 'n/a' : perSecond >= 10_000 ? `${Math.round(perSecond / 1000)}k` : perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k` : perSecond.toFixed(0);

export const formatMs = (ms: number): string => (!Number.isFinite(ms) ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A plain-text table with aligned columns. */
export function textTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same rows as a Markdown table. */
export function markdownTable(rows: ReadonlyArray<readonly string[]>): string {
  const [head, ...body] = rows;
  const line = (row: readonly string[]) => `| ${row.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head ?? []), `|${(head ?? []).map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

/** Deletes every key matching `<prefix>:*` (SCAN + UNLINK: a benchmark's own keys, never the query path). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Calls and microseconds Redis spent in Lua scripts (EVAL + EVALSHA, INFO commandstats). */
export async function redisScriptStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const info = await redis.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(match[1]);
    usec += Number(match[2]);
  }
  return { calls, usec };
}
