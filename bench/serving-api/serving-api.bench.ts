/**
 * Serving API benchmark (prints its figures; never a timed assertion):
 *
 *   KAFKA_BROKERS=… REDIS_URL=… node --import tsx bench/serving-api/serving-api.bench.ts
 *
 * A child process (bench-server.ts) serves the real serving API over a view of 100 groups × 60
 * minutes, half in a batch Parquet version and half in a live Redis generation, and a bare fastify
 * route doing one Redis GET. This process drives HTTP load (keep-alive, Node's http client):
 *   1. closed loop, CONCURRENCY requests in flight for SECONDS: requests/s and latency percentiles,
 *      for the bare route and for one-hour minute queries (60 rows; and 6 000 rows with groupBy);
 *   3. the same query while a live stream applies BENCH_LIVE_HZ (default 10) speed batches a second,
 *      so the speed half is re-read from Redis that often (the cache only spans one batch);
 *   2. open loop at 500 requests/s (or half the measured capacity when that is lower) for SECONDS:
 *      latency percentiles of the one-hour query, measured from each request's scheduled time.
 * autocannon is not installed here, hence this small driver.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const OPEN_RATE = 500;
const LIVE_HZ = Number(process.env.BENCH_LIVE_HZ ?? 10);

interface Ready {
  api: number;
  bare: number;
  from: number;
  to: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function summary(name: string, latencies: number[], seconds: number, errors: number, bytes: number) {
  latencies.sort((a, b) => a - b);
  const row = {
    name,
    requests: latencies.length,
    'req/s': Math.round(latencies.length / seconds),
    'p50 ms': +percentile(latencies, 50).toFixed(2),
    'p90 ms': +percentile(latencies, 90).toFixed(2),
    'p99 ms': +percentile(latencies, 99).toFixed(2),
    'max ms': +(latencies[latencies.length - 1] ?? NaN).toFixed(2),
    'KiB/resp': +(bytes / Math.max(1, latencies.length) / 1024).toFixed(1),
    errors,
  };
  return row;
}

async function closedLoop(name: string, port: number, path: string) {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await get(port, path).catch(() => ({ status: 0, bytes: 0 }));
        latencies.push(performance.now() - t0);
        bytes += res.bytes;
        if (res.status !== 200) errors++;
      }
    }),
  );
  return summary(`${name} (closed loop, ${CONCURRENCY} in flight)`, latencies, SECONDS, errors, bytes);
}

async function openLoop(name: string, port: number, path: string, rate: number) {
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
          latencies.push(performance.now() - due); // from the scheduled time: no coordinated omission
          bytes += res.bytes;
          if (res.status !== 200) errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  return summary(`${name} (open loop, ${rate} req/s)`, latencies, (performance.now() - start) / 1000, errors, bytes);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench-server.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: process.env });
const setLive = (hz: number) => child.send({ live: hz });
const ready = await new Promise<Ready>((resolveReady, reject) => {
  child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  if (!child.stdout) return reject(new Error('the bench server has no stdout'));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{"api":')) resolveReady(JSON.parse(line) as Ready);
    else process.stderr.write(`[server] ${line}\n`);
  });
});

try {
  const query = `/v1/views/payments_by_country/query?from=${ready.from}&to=${ready.to}`;
  const grouped = `${query}&groupBy=country,method`;
  const check = await get(ready.api, query);
  if (check.status !== 200) throw new Error(`the query answered ${check.status}`);
  // Warm-up (JIT, DuckDB, the batch cache).
  for (let i = 0; i < 20; i++) await get(ready.api, query);
  for (let i = 0; i < 200; i++) await get(ready.bare, '/bare');

  const rows = [];
  rows.push(await closedLoop('bare fastify + 1 Redis GET', ready.bare, '/bare'));
  rows.push(await closedLoop('1 h minute query, 100 groups rolled up (60 rows)', ready.api, query));
  rows.push(await closedLoop('1 h minute query, groupBy country,method (6 000 rows)', ready.api, grouped));
  const bareRate = rows[0]?.['req/s'] ?? 0;
  const queryRate = rows[1]?.['req/s'] ?? 0;
  // 500 req/s when the server can take it; otherwise half its measured capacity (so the run ends and the figure means something).
  const rate = (capacity: number) => (capacity >= OPEN_RATE ? OPEN_RATE : Math.max(1, Math.floor(capacity / 2)));
  rows.push(await openLoop('1 h minute query (60 rows)', ready.api, query, rate(queryRate)));
  setLive(LIVE_HZ);
  const liveRow = await closedLoop(`live stream ${LIVE_HZ} batches/s: 1 h minute query (60 rows)`, ready.api, query);
  rows.push(liveRow);
  rows.push(await openLoop(`live stream ${LIVE_HZ} batches/s: 1 h minute query (60 rows)`, ready.api, query, rate(liveRow['req/s'])));
  setLive(0);
  console.table(rows);
  console.log(`query / bare requests per second: ${((100 * queryRate) / Math.max(1, bareRate)).toFixed(1)}%`);
  console.log(`node ${process.version}, ${SECONDS}s per phase, server and driver on this machine (one process each)`);
} finally {
  child.kill('SIGTERM');
  agent.destroy();
}
