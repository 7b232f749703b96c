/**
 * Serving API benchmark (prints its figures; never a timed assertion):
 *
 *   KAFKA_BROKERS=… REDIS_URL=… node --import tsx bench/serving-api/serving-api.bench.ts
 *
 * A child process (bench-server.ts) serves the real serving API over a view of 100 groups × 60
 * minutes, half in a batch Parquet version and half in a live Redis generation, and a bare fastify
 * route doing one Redis GET (the baseline, same process, same Redis). Before any load it checks the
 * API's answers against an oracle (core's `queryRows` over all the events). This process drives HTTP
 * load with autocannon's programmatic API:
 *
 *   1. closed loop, BENCH_CONNECTIONS (default 32) connections for BENCH_SECONDS (default 10) each,
 *      BENCH_ROUNDS (default 2) alternating rounds of the bare route and the one-hour minute query
 *      (60 rows): requests/s summed over the rounds, so both see the same machine;
 *   2. 500 requests/s of the one-hour query, two ways: autocannon's `overallRate` (each connection
 *      sends its quota of the second as fast as it can, latencies as measured), and a paced open loop
 *      (this process' own http client, one request every 2 ms whatever the answers do, latency counted
 *      from each request's scheduled time, so a stall is not hidden by coordinated omission);
 *   3. 1 and 2 again while the bench server applies BENCH_LIVE_HZ (default 10) speed batches a second
 *      through the speed store's Lua script, so every query of a new speed snapshot reads Redis again;
 *   4. last, the same query with groupBy country,method (6 000 rows, ~1 MiB answers).
 * A second passes between phases.
 *
 * BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile of the server process there.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const OPEN_RATE = 500;
const LIVE_HZ = Number(process.env.BENCH_LIVE_HZ ?? 10);

interface Ready {
  api: number;
  bare: number;
  query: string;
  grouped: string;
  oracle: string;
}

interface Row {
  phase: string;
  requests: number;
  'req/s': number;
  'p50 ms': number;
  'p90 ms': number;
  'p99 ms': number;
  'max ms': number;
  'KiB/resp': number;
  errors: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function cannon(phase: string, port: number, path: string, options: { connections?: number; overallRate?: number } = {}): Promise<Row> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: options.connections ?? CONNECTIONS,
    duration: SECONDS,
    ...(options.overallRate ? { overallRate: options.overallRate, ignoreCoordinatedOmission: true } : {}),
  });
  const requests = result['2xx'] + result.non2xx;
  return {
    phase,
    requests,
    'req/s': Math.round(requests / result.duration),
    'p50 ms': round2(result.latency.p50),
    'p90 ms': round2(result.latency.p90),
    'p99 ms': round2(result.latency.p99),
    'max ms': round2(result.latency.max),
    'KiB/resp': round2(result.throughput.total / Math.max(1, requests) / 1024),
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Sums closed-loop rounds of one route (requests/s over the total time; percentiles of the worst round). */
function combine(phase: string, rows: readonly Row[]): Row {
  const requests = rows.reduce((s, r) => s + r.requests, 0);
  const worst = (key: 'p50 ms' | 'p90 ms' | 'p99 ms' | 'max ms') => Math.max(...rows.map((r) => r[key]));
  return {
    phase,
    requests,
    'req/s': Math.round(requests / (rows.length * SECONDS)),
    'p50 ms': worst('p50 ms'),
    'p90 ms': worst('p90 ms'),
    'p99 ms': worst('p99 ms'),
    'max ms': worst('max ms'),
    'KiB/resp': rows[0]?.['KiB/resp'] ?? 0,
    errors: rows.reduce((s, r) => s + r.errors, 0),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** One request every 1000/rate ms, whatever the answers do; latency from the scheduled time. */
async function pacedOpenLoop(phase: string, port: number, path: string, rate: number): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const start = performance.now();
  const total = Math.round(rate * SECONDS);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      get(port, path).then(
        (res) => {
          latencies.push(performance.now() - due);
          bytes += res.body.length;
          if (res.status !== 200) errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return {
    phase,
    requests: latencies.length,
    'req/s': Math.round(latencies.length / ((performance.now() - start) / 1000)),
    'p50 ms': round2(percentile(latencies, 50)),
    'p90 ms': round2(percentile(latencies, 90)),
    'p99 ms': round2(percentile(latencies, 99)),
    'max ms': round2(latencies[latencies.length - 1] ?? NaN),
    'KiB/resp': round2(bytes / Math.max(1, latencies.length) / 1024),
    errors,
  };
}

/** A pause between phases, with the paced driver's keep-alive sockets opened before it measures. */
async function settle(port: number, path: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  await Promise.all(Array.from({ length: 16 }, () => get(port, path)));
}

const execArgv = ['--import', 'tsx'];
if (process.env.BENCH_CPU_PROF_DIR) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`);
const child = spawn(process.execPath, [...execArgv, join(import.meta.dirname, 'bench-server.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: process.env });
const setLive = (hz: number) => child.send({ live: hz });
const ready = await new Promise<Ready>((resolveReady, reject) => {
  child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  if (!child.stdout) return reject(new Error('the bench server has no stdout'));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{"api":')) resolveReady(JSON.parse(line) as Ready);
    else process.stderr.write(`[server] ${line}\n`);
  });
});
const exited = new Promise<void>((r) => child.once('exit', () => r()));

const loadBefore = loadavg();
try {
  const { query, grouped } = ready;
  const check = await get(ready.api, query);
  if (check.status !== 200) throw new Error(`the query answered ${check.status}: ${check.body.slice(0, 300)}`);
  if (JSON.stringify((JSON.parse(check.body) as { rows: unknown }).rows) !== ready.oracle) throw new Error('the query answer differs from the oracle');
  console.log('exactness: the one-hour query equals the oracle (core queryRows over all 18,000 events)');
  // Warm-up (JIT, DuckDB, the caches, both routes).
  for (let i = 0; i < 200; i++) await get(ready.api, query);
  for (let i = 0; i < 2; i++) await get(ready.api, grouped);
  for (let i = 0; i < 200; i++) await get(ready.bare, '/bare');

  const bareRounds: Row[] = [];
  const queryRounds: Row[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bareRounds.push(await cannon('bare', ready.bare, '/bare'));
    queryRounds.push(await cannon('query', ready.api, query));
  }
  const bare = combine(`bare fastify + 1 Redis GET (closed, ${CONNECTIONS} conns, ${ROUNDS}×${SECONDS}s)`, bareRounds);
  const merged = combine(`1 h minute query, 60 rows (closed, ${CONNECTIONS} conns, ${ROUNDS}×${SECONDS}s)`, queryRounds);
  const rows: Row[] = [bare, merged];
  await settle(ready.api, query);
  rows.push(await cannon(`1 h minute query: autocannon overallRate ${OPEN_RATE}/s (8 conns)`, ready.api, query, { connections: 8, overallRate: OPEN_RATE }));
  await settle(ready.api, query);
  rows.push(await pacedOpenLoop(`1 h minute query: paced open loop ${OPEN_RATE}/s`, ready.api, query, OPEN_RATE));
  setLive(LIVE_HZ);
  await settle(ready.api, query);
  rows.push(await cannon(`live ${LIVE_HZ} batches/s: 1 h minute query (closed, ${CONNECTIONS} conns)`, ready.api, query));
  await settle(ready.api, query);
  rows.push(await cannon(`live ${LIVE_HZ} batches/s: autocannon overallRate ${OPEN_RATE}/s (8 conns)`, ready.api, query, { connections: 8, overallRate: OPEN_RATE }));
  await settle(ready.api, query);
  rows.push(await pacedOpenLoop(`live ${LIVE_HZ} batches/s: paced open loop ${OPEN_RATE}/s`, ready.api, query, OPEN_RATE));
  setLive(0);
  // Last: 1 MiB answers would disturb the phases after them (socket buffers, GC of both processes).
  rows.push(await cannon(`1 h minute query, groupBy country,method, 6 000 rows (closed, ${CONNECTIONS} conns)`, ready.api, grouped));
  console.table(rows);
  const ratio = (100 * merged['req/s']) / Math.max(1, bare['req/s']);
  const openP99 = Math.max(rows[2]?.['p99 ms'] ?? NaN, rows[3]?.['p99 ms'] ?? NaN);
  console.log(`query / bare requests per second: ${ratio.toFixed(1)}% (target ≥ 50%: ${ratio >= 50 ? 'met' : 'not met'})`);
  console.log(`p99 at ${OPEN_RATE} req/s (worse of the two drivers): ${openP99} ms (target < 20 ms: ${openP99 < 20 ? 'met' : 'not met'})`);
  console.log(`node ${process.version}, autocannon, ${SECONDS}s per phase, server (one process) and driver on this machine`);
  console.log(`load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
} finally {
  child.kill('SIGTERM');
  agent.destroy();
  await exited;
}
