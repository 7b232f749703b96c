/**
 * What a user's programs do against the stack: produce to the events topic, call the REST API, read
 * the dead-letter topic and the lake's rejected-rows files.
 */
import { createKafkaClient, type Kafka, type Producer } from '@tributary/adapter-kafka';
import { waitFor } from '@tributary/testing';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AnswerRow, queryString, type QuerySpec } from '../src/oracle';
import type { KafkaMessage } from '../src/workload';
import { ADMIN_TOKEN, TOPIC } from './stack';

export interface QueryAnswer {
  rows: AnswerRow[];
  freshness: { batchVersion: string | null; batchCompletedAt: string | null; speedLagMessages: number | null };
}

export interface BatchRun {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  error: string | null;
  version: string | null;
  stats: { rowsRead: number; filesRead: number; rejected: number; durationMs: number };
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export class Client {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;

  constructor(
    private readonly apiUrl: () => string,
    brokers: string,
  ) {
    this.kafka = createKafkaClient({ brokers: brokers.split(','), clientId: 'e2e' });
  }

  /** Produces in order, acks from all in-sync replicas, idempotently (a broker retry never duplicates). */
  async produce(messages: readonly KafkaMessage[]): Promise<void> {
    this.producer ??= this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    for (let i = 0; i < messages.length; i += 500) {
      await this.producer.send({ topic: TOPIC, acks: -1, messages: messages.slice(i, i + 500).map((m) => ({ key: m.key, value: m.value })) });
    }
  }

  /** Drops the producer (before the broker is stopped; the next produce reconnects). */
  async disconnect(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  async get<T>(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.apiUrl()}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.apiUrl()}${path}`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async query(spec: QuerySpec): Promise<QueryAnswer> {
    const { status, body } = await this.get<QueryAnswer & { message?: string }>(`/v1/views/${spec.view}/query?${queryString(spec)}`);
    if (status !== 200) throw new Error(`query ${queryString(spec)} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /**
   * Waits until the serving API reports the speed layer caught up (lag 0 over every partition), seen
   * twice a second apart: the API computes the lag at most every 500 ms and shares it between queries.
   */
  async waitCaughtUp(view: string, timeoutMs = 180_000): Promise<void> {
    const lag = async () => {
      const { status, body } = await this.get<QueryAnswer>(`/v1/views/${view}/query?granularity=all`);
      return status === 200 ? body.freshness.speedLagMessages : null;
    };
    const deadline = Date.now() + timeoutMs;
    await sleep(600);
    for (;;) {
      if ((await lag()) === 0) {
        await sleep(600);
        if ((await lag()) === 0) return;
      }
      if (Date.now() > deadline) throw new Error(`the speed layer did not catch up within ${timeoutMs} ms (freshness.speedLagMessages = ${await lag()})`);
      await sleep(250);
    }
  }

  /** Queues a batch run and waits until it has finished; returns it (succeeded or failed). */
  async batchRun(timeoutMs = 300_000): Promise<BatchRun> {
    const queued = await this.post<{ id: string; status: string }>('/v1/batch/runs', {});
    if (queued.status !== 202) throw new Error(`POST /v1/batch/runs answered ${queued.status}: ${JSON.stringify(queued.body)}`);
    return this.waitRun(queued.body.id, timeoutMs);
  }

  async waitRun(id: string, timeoutMs = 300_000): Promise<BatchRun> {
    return waitFor(
      async () => {
        const { status, body } = await this.get<BatchRun>(`/v1/batch/runs/${id}`, admin);
        return status === 200 && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
      },
      { timeoutMs, intervalMs: 300, description: `batch run ${id} to finish` },
    );
  }

  /** Polls a run every 5 ms until it runs (or has already finished); returns that status. */
  async waitStarted(id: string, timeoutMs = 120_000): Promise<BatchRun['status']> {
    const run = await waitFor(
      async () => {
        const found = await this.run(id);
        return found.status === 'queued' ? undefined : found;
      },
      { timeoutMs, intervalMs: 5, description: `batch run ${id} to start` },
    );
    return run.status;
  }

  async run(id: string): Promise<BatchRun> {
    return (await this.get<BatchRun>(`/v1/batch/runs/${id}`, admin)).body;
  }

  /** Every dead letter, distinct by source position (a crash may write one twice, never lose one). */
  async deadLetters(): Promise<Array<{ value: Buffer; error: string; source: string }>> {
    const topic = `${TOPIC}.dlq`;
    const kafkaAdmin = this.kafka.admin();
    await kafkaAdmin.connect();
    const highs = await kafkaAdmin.fetchTopicOffsets(topic);
    await kafkaAdmin.disconnect();
    const remaining = new Map(highs.filter((h) => Number(h.high) > Number(h.low)).map((h) => [h.partition, Number(h.high)]));
    const found = new Map<string, { value: Buffer; error: string; source: string }>();
    if (remaining.size === 0) return [];
    const consumer = this.kafka.consumer({ groupId: `e2e-dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const header = (name: string) => message.headers?.[name]?.toString() ?? '';
            const source = `${header('source-partition')}@${header('source-offset')}`;
            found.set(source, { value: message.value ?? Buffer.alloc(0), error: header('error'), source });
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) done();
          },
        })
        .catch(fail);
    });
    await consumer.disconnect();
    return [...found.values()];
  }
}

/** Every rejected row the batch layer listed, per file: `{file: [{row, reason}]}`. */
export async function rejectedRows(lakeDir: string): Promise<Map<string, Array<{ row: number; reason: string }>>> {
  const dir = join(lakeDir, 'rejected');
  const rows = new Map<string, Array<{ row: number; reason: string }>>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.errors.ndjson')) continue;
    const lines = (await readFile(join(dir, name), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    rows.set(
      name.slice(0, -'.errors.ndjson'.length),
      lines.map((l) => {
        // NDJSON files number lines, the other formats rows.
        const entry = JSON.parse(l) as { row?: number; line?: number; reason: string };
        return { row: entry.row ?? entry.line ?? -1, reason: entry.reason };
      }),
    );
  }
  return rows;
}
