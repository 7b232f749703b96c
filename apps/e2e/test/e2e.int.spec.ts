/**
 * CONTRACT.md §6, end to end: the three apps run as processes (as `npm start` runs them, DEMO=0)
 * against a real Kafka broker and a real Redis of this suite's own, fed by a seeded workload over
 * Kafka, HTTP and inbox files. After every scenario, once the speed layer reports lag 0, every
 * standard query (each granularity, groupBy, filters, the null group) must equal the oracle: plain
 * TypeScript over the valid events, distinct by id. The scenarios build on each other, in order:
 *
 *   a. speed layer only            b. after a batch run (inbox files with bad rows)
 *   c. a batch run while ingestion continues, then copies re-sent after it
 *   d. SIGKILL of each app at random moments (the batch worker mid-run too), and restart
 *   e. Redis restarted with its data lost    f. the Kafka broker stopped and restarted
 *   g. two speed-layer instances and a rebalance
 *
 * and at the end, the dead-letter topic and the rejected-rows files hold exactly the malformed inputs.
 *
 * E2E_SCALE=large runs a soak (≥ 1M events, ≥ 50 kills); E2E_CHUNK, E2E_FILE_ROWS, E2E_KILLS and
 * E2E_KILL_CHUNK set the sizes one by one, E2E_SEED the workload. The summary table is printed and
 * written to E2E_SUMMARY_FILE (default .tributary/e2e-summary.md); E2E_KEEP=1 keeps the run folder
 * (logs of every process, and problems-*.txt with every difference when a scenario fails).
 */
import { openDuckDB } from '@tributary/adapter-duckdb';
import { parseViews, quoteLiteral, type ViewDefinition } from '@tributary/core';
import { seededRandom } from '@tributary/testing';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRows, distinctById, expectedRows, standardQueries, type QuerySpec } from '../src/oracle';
import { parquetColumns, Workload, type InboxFile, type ValidEvent } from '../src/workload';
import { Client, rejectedRows, type BatchRun } from './client';
import { ROOT, startStack, type AppName, type Stack } from './stack';

const LARGE = process.env.E2E_SCALE === 'large';
const scaled = (name: string, reduced: number, large: number) => Number(process.env[name] ?? (LARGE ? large : reduced));
const SCALE = {
  /** Kafka messages per scenario step. */
  chunk: scaled('E2E_CHUNK', 2_000, 100_000),
  fileRows: scaled('E2E_FILE_ROWS', 400, 50_000),
  httpItems: LARGE ? 2_000 : 200,
  /** SIGKILLs in scenario d (spread over the apps). */
  kills: scaled('E2E_KILLS', 6, 54),
  killChunk: scaled('E2E_KILL_CHUNK', 400, 12_000),
};
const SEED = Number(process.env.E2E_SEED ?? 20261201);
const DAY = 86_400_000;

const views: ViewDefinition[] = parseViews(await readFile(join(ROOT, 'config/views.yaml'), 'utf8'), 'config/views.yaml');
const viewByName = new Map(views.map((v) => [v.name, v]));
const started = Date.now();
const range = { from: Math.floor(started / DAY) * DAY - 6 * DAY, to: Math.floor(started / DAY) * DAY + 2 * DAY };
const queries: QuerySpec[] = standardQueries(views, range);

interface SummaryRow {
  scenario: string;
  messages: number;
  distinctValid: number;
  queries: number;
  rows: number;
  kills: number;
  seconds: number;
}

describe('end to end: every answer equals the oracle', () => {
  let dir: string;
  let stack: Stack;
  let client: Client;
  const workload = new Workload({ seed: SEED, runId: `s${SEED}` });
  const random = seededRandom(SEED + 1);
  const files: InboxFile[] = [];
  const summary: SummaryRow[] = [];
  let messages = 0;
  let kills = 0;
  let scenarioStart = Date.now();

  const produce = async (n: number) => {
    const batch = workload.kafkaMessages(n, Date.now());
    messages += batch.length;
    await client.produce(batch);
  };

  /** Waits for lag 0, then runs every standard query and compares it with the oracle. */
  async function expectExact(scenario: string): Promise<void> {
    await client.waitCaughtUp('page_views');
    const events: ValidEvent[] = distinctById(workload.sent);
    const problems: string[] = [];
    let rows = 0;
    for (const spec of queries) {
      const view = viewByName.get(spec.view) as ViewDefinition;
      const answer = await client.query(spec);
      const expected = expectedRows(view, events, spec);
      rows += expected.length;
      for (const p of compareRows(view, spec, answer.rows, expected)) problems.push(`${spec.view}?${new URLSearchParams({ g: spec.granularity, by: spec.groupBy.join(','), f: JSON.stringify(spec.filters) }).toString()}: ${p}`);
    }
    if (problems.length > 0) await writeFile(join(dir, `problems-${scenario.slice(0, 1)}-${summary.length}.txt`), problems.join('\n'));
    summary.push({ scenario, messages, distinctValid: events.length, queries: queries.length, rows, kills, seconds: Math.round((Date.now() - scenarioStart) / 1000) });
    scenarioStart = Date.now();
    expect(problems.slice(0, 25), `${scenario}: ${problems.length} differences from the oracle`).toEqual([]);
    expect(rows, 'the workload fills the views').toBeGreaterThan(100);
  }

  async function dropInboxFile(file: InboxFile): Promise<void> {
    const staging = join(dir, 'staging');
    await mkdir(staging, { recursive: true });
    const target = join(stack.lakeDir, 'inbox', file.name);
    await mkdir(join(stack.lakeDir, 'inbox'), { recursive: true });
    if (file.format === 'parquet') {
      const ndjson = join(staging, `${file.name}.ndjson`);
      await writeFile(ndjson, file.content);
      const duckdb = await openDuckDB({ threads: 1 });
      try {
        const columns = `{${Object.entries(parquetColumns).map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ')}}`;
        await duckdb.run(`COPY (SELECT * FROM read_json(${quoteLiteral(ndjson)}, format = 'newline_delimited', columns = ${columns})) TO ${quoteLiteral(join(staging, file.name))} (FORMAT parquet)`);
      } finally {
        duckdb.close();
      }
    } else {
      await writeFile(join(staging, file.name), file.content);
    }
    // Appears whole: a run never sees a half-written file.
    await rename(join(staging, file.name), target);
    files.push(file);
  }

  async function expectSucceeded(run: BatchRun): Promise<void> {
    expect(run.error, `batch run ${run.id}`).toBeNull();
    expect(run.status).toBe('succeeded');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-e2e-'));
    stack = await startStack(dir);
    client = new Client(() => stack.apiUrl, stack.kafka.brokers);
  });

  afterAll(async () => {
    await client?.disconnect();
    await stack?.stop();
    if (summary.length > 0) {
      const table = [
        `E2E ${LARGE ? 'large' : 'reduced'} run, seed ${SEED}, ${new Date(started).toISOString()}, sizes ${JSON.stringify(SCALE)}, ${Math.round((Date.now() - started) / 1000)} s in all`,
        '',
        '| scenario | Kafka messages so far | distinct valid events | queries | rows compared | kills so far | seconds |',
        '|---|---:|---:|---:|---:|---:|---:|',
        ...summary.map((r) => `| ${r.scenario} | ${r.messages.toLocaleString('en')} | ${r.distinctValid.toLocaleString('en')} | ${r.queries} | ${r.rows.toLocaleString('en')} | ${r.kills} | ${r.seconds} |`),
      ].join('\n');
      process.stdout.write(`\n${table}\n\n`);
      const out = process.env.E2E_SUMMARY_FILE ?? join(ROOT, '.tributary', 'e2e-summary.md');
      await mkdir(join(out, '..'), { recursive: true });
      await writeFile(out, `${table}\n`);
    }
    if (dir && process.env.E2E_KEEP !== '1') await rm(dir, { recursive: true, force: true });
  });

  it('a. speed layer only: Kafka and HTTP ingest', async () => {
    await produce(SCALE.chunk);
    const http = workload.httpBatch(SCALE.httpItems, Date.now());
    const { status, body } = await client.post<{ accepted: number; rejected: Array<{ index: number; reason: string }> }>('/v1/events', http.items);
    expect(status).toBe(202);
    expect(body.accepted).toBe(http.items.length - http.rejected.length);
    expect(body.rejected.map((r) => r.index)).toEqual(http.rejected.map((r) => r.index));
    body.rejected.forEach((r, i) => expect(r.reason).toMatch(http.rejected[i]?.reason as RegExp));
    await expectExact('a. speed layer only');
  });

  it('b. after a batch run, with inbox files holding bad rows', async () => {
    for (const format of ['csv', 'ndjson', 'parquet'] as const) await dropInboxFile(workload.inboxFile(format, SCALE.fileRows, Date.now()));
    await produce(SCALE.chunk / 2);
    const run = await client.batchRun();
    await expectSucceeded(run);
    expect(run.stats.filesRead).toBeGreaterThanOrEqual(3);
    const rejected = await rejectedRows(stack.lakeDir);
    for (const file of files) {
      const listed = rejected.get(file.name) ?? [];
      expect(listed.map((r) => r.row), `${file.name}: the rejected rows`).toEqual(file.bad.map((b) => b.row));
      listed.forEach((r, i) => expect(r.reason, `${file.name} row ${r.row}`).toMatch(file.bad[i]?.reason as RegExp));
    }
    await expectExact('b. after a batch run');
  });

  it('c. a batch run while ingestion continues; copies re-sent after it', async () => {
    const queued = await client.post<{ id: string }>('/v1/batch/runs', {});
    let running = true;
    const feeding = (async () => {
      while (running) {
        await produce(Math.ceil(SCALE.chunk / 20));
        await sleep(50);
      }
    })();
    // Meanwhile the total only grows, and never exceeds what was sent: no jump back, no double count at the flip.
    const totals: number[] = [];
    const watching = (async () => {
      const total = { view: 'activity_hourly', ...range, granularity: 'all', groupBy: [], filters: [] } as const;
      const types = new Set(viewByName.get('activity_hourly')?.eventTypes);
      while (running) {
        const ceiling = new Set(workload.sent.filter((e) => types.has(e.type)).map((e) => e.id)).size;
        const answer = await client.query(total);
        const count = Number(answer.rows[0]?.metrics['events'] ?? 0);
        expect(count, 'the total never exceeds the distinct events sent').toBeLessThanOrEqual(ceiling);
        expect(count, 'the total never goes back').toBeGreaterThanOrEqual(totals.at(-1) ?? 0);
        totals.push(count);
        await sleep(20);
      }
    })();
    const run = await client.waitRun(queued.body.id);
    running = false;
    await Promise.all([feeding, watching]);
    await expectSucceeded(run);
    expect(totals.length, 'the total was watched during the run').toBeGreaterThan(0);
    // Copies of events the run covered, and of inbox rows: counted once.
    const copies = workload.resend(Math.ceil(SCALE.chunk / 20));
    messages += copies.length;
    await client.produce(copies);
    await expectExact('c. batch run during ingestion');
  });

  it('d. SIGKILL of each app at random moments (the batch worker mid-run), then restart', async () => {
    // Ingested by the first run that survives the kills (the oracle counts it from there on).
    await dropInboxFile(workload.inboxFile('ndjson', SCALE.fileRows, Date.now()));
    const victims: AppName[] = ['speed-layer', 'batch-layer', 'serving-api'];
    const killedRuns: string[] = [];
    for (let k = 0; k < SCALE.kills; k++) {
      const victim = victims[k % victims.length] as AppName;
      const feeding = produce(SCALE.killChunk);
      if (victim === 'batch-layer' && k % 2 === 1) {
        // The worker mid-run: queue a run, kill the process while it runs (its archiver with it).
        // Small runs take a few hundred ms: kill as soon as one is seen running (a few tries).
        for (let attempt = 0; attempt < 5; attempt++) {
          const queued = await client.post<{ id: string }>('/v1/batch/runs', {});
          if ((await client.waitStarted(queued.body.id)) === 'running') {
            killedRuns.push(queued.body.id);
            break;
          }
        }
      } else {
        await sleep(100 + random() * 1_500);
      }
      await stack.apps[victim].kill();
      kills++;
      await feeding;
      await stack.apps[victim].start();
    }
    // A run killed mid-way is taken up again by the restarted worker, and succeeds.
    expect(killedRuns.length, 'a batch run was killed while it ran').toBeGreaterThan(0);
    for (const id of killedRuns) await expectSucceeded(await client.waitRun(id, 600_000));
    const run = await client.batchRun(600_000);
    await expectSucceeded(run);
    await produce(SCALE.killChunk);
    await expectExact('d. SIGKILLs and restarts');
  });

  it('e. Redis restarted with its data lost', async () => {
    await produce(SCALE.chunk / 4);
    const feeding = produce(SCALE.chunk / 4);
    await stack.redis.restart();
    await feeding;
    await expectExact('e. Redis data lost');
    const run = await client.batchRun();
    await expectSucceeded(run);
    await expectExact('e. then a batch run');
  });

  it('f. the Kafka broker stopped and restarted', async () => {
    await produce(SCALE.chunk / 4);
    await client.disconnect();
    await stack.kafka.stop();
    await sleep(3_000);
    await stack.kafka.restart();
    await produce(SCALE.chunk / 4);
    await expectExact('f. Kafka restarted');
  });

  it('g. two speed-layer instances and a rebalance', async () => {
    await stack.apps['speed-layer-2'].start();
    await produce(SCALE.chunk / 4);
    const feeding = produce(SCALE.chunk / 4);
    await sleep(300);
    await stack.apps['speed-layer'].kill();
    kills++;
    await feeding;
    await produce(SCALE.chunk / 4);
    await stack.apps['speed-layer'].start();
    await produce(SCALE.chunk / 4);
    await expectExact('g. two instances, rebalance');
    const run = await client.batchRun();
    await expectSucceeded(run);
    await expectExact('g. then a batch run');
  });

  it('the dead-letter topic holds exactly the malformed messages, each with its reason', async () => {
    const letters = await client.deadLetters();
    const key = (b: Buffer) => b.toString('base64');
    const sent = workload.malformed.map((m) => key(m.value)).sort();
    expect(letters.map((l) => key(l.value)).sort()).toEqual(sent);
    const reasons = new Map(workload.malformed.map((m) => [key(m.value), m.reason]));
    for (const letter of letters) expect(letter.error, `dead letter ${letter.source}`).toMatch(reasons.get(key(letter.value)) as RegExp);
    const rejected = await rejectedRows(stack.lakeDir);
    expect([...rejected.keys()].sort()).toEqual(files.filter((f) => f.bad.length > 0).map((f) => f.name).sort());
  });
});
