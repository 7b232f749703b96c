import type { BatchPointer } from '@tributary/adapter-redis';
import { loadViewsFile } from '@tributary/config';
import { aggregateEvents, mergeRowsInto, type NormalizedEvent, type ViewDefinition, ViewRows } from '@tributary/core';
import { createLogger } from '@tributary/runtime';
import type { FastifyInstance } from 'fastify';
import { join, resolve } from 'node:path';
import { buildApp } from '../app';
import type { BatchRuns, BatchRunView, ServingPorts } from '../ports';

/** In-memory stand-ins for the ports, for route tests (integration tests use the real things). */

const root = resolve(import.meta.dirname, '../../../..');
export const views = loadViewsFile(join(root, 'config/views.yaml'));
export const viewNamed = (name: string): ViewDefinition => views.find((v) => v.name === name) as ViewDefinition;
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

function inRange<R extends { bucket: number }>(rows: Iterable<R>, from: number, to: number): R[] {
  return [...rows].filter((r) => r.bucket >= from && r.bucket < to);
}

/** Speed generations and a pointer, as Redis holds them. */
export class FakeSpeed {
  pointer: BatchPointer | undefined;
  readonly generations = new Map<number, NormalizedEvent[]>();
  reads = 0;
  /** Called after the pointer is read: lets a test flip the version mid-query. */
  onPointerRead: (() => void) | undefined;

  add(generation: number, events: readonly NormalizedEvent[]): void {
    this.generations.set(generation, [...(this.generations.get(generation) ?? []), ...events]);
  }

  async readPointer(): Promise<BatchPointer | undefined> {
    const pointer = this.pointer;
    this.onPointerRead?.();
    return pointer;
  }

  async readStates(view: ViewDefinition, range: { fromBucket: number; toBucket: number; afterGeneration: number }): Promise<ViewRows> {
    this.reads++;
    const out = new ViewRows(view.dimensions.length);
    for (const [g, events] of this.generations) {
      if (g <= range.afterGeneration) continue;
      mergeRowsInto(view, out, inRange(aggregateEvents(view, events), range.fromBucket, range.toBucket));
    }
    return out;
  }
}

/** Batch versions: version → the events it covers (undefined views = every view has a file). */
export class FakeBatch {
  readonly versions = new Map<string, { events: NormalizedEvent[]; views?: readonly string[] }>();
  async readStates(version: string, view: ViewDefinition, range: { fromBucket: number; toBucket: number }): Promise<ViewRows | undefined> {
    const v = this.versions.get(version);
    if (!v || (v.views && !v.views.includes(view.name))) return undefined;
    const out = new ViewRows(view.dimensions.length);
    for (const row of inRange(aggregateEvents(view, v.events), range.fromBucket, range.toBucket)) out.set(row);
    return out;
  }
}

export class FakeRuns implements BatchRuns {
  readonly runs: BatchRunView[] = [];
  readonly requests: Array<readonly string[] | undefined> = [];
  async request(views: readonly string[] | undefined) {
    this.requests.push(views);
    const queued = this.runs.find((r) => r.status === 'queued');
    if (queued) return { id: queued.id, status: 'queued' as const };
    const run: BatchRunView = {
      id: `run-${this.runs.length}`,
      status: 'queued',
      progress: 0,
      createdAt: new Date(0).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      stats: { rowsRead: 0, filesRead: 0, rejected: 0, durationMs: 0 },
      version: null,
    };
    this.runs.unshift(run);
    return { id: run.id, status: 'queued' as const };
  }
  get = async (id: string) => this.runs.find((r) => r.id === id);
  list = async (limit: number) => this.runs.slice(0, limit);
}

export interface Fakes {
  speed: FakeSpeed;
  batch: FakeBatch;
  runs: FakeRuns;
  sent: Array<{ key: string; value: string }>;
  ports: ServingPorts;
  failSend: boolean;
  ready: Record<string, boolean>;
}

export function createFakes(): Fakes {
  const fakes: Fakes = {
    speed: new FakeSpeed(),
    batch: new FakeBatch(),
    runs: new FakeRuns(),
    sent: [],
    failSend: false,
    ready: { redis: true, kafka: true, lake: true },
    ports: undefined as unknown as ServingPorts,
  };
  fakes.ports = {
    speed: fakes.speed,
    batch: fakes.batch,
    lag: async () => 3,
    runs: fakes.runs,
    events: {
      async send(messages) {
        if (fakes.failSend) throw new Error('secret broker detail: connection refused 10.0.0.7:9092');
        fakes.sent.push(...messages);
      },
    },
    readiness: ['redis', 'kafka', 'lake'].map((name) => ({
      name,
      check: async () => {
        if (!fakes.ready[name]) throw new Error(`${name} is down`);
      },
    })),
  };
  return fakes;
}

export const NOW = Date.UTC(2026, 10, 23, 10, 30, 15, 123);

export async function testApp(options: { fakes?: Fakes; adminToken?: string | undefined; withoutRuns?: boolean } = {}): Promise<{ app: FastifyInstance; fakes: Fakes }> {
  const fakes = options.fakes ?? createFakes();
  const ports = options.withoutRuns ? { ...fakes.ports, runs: undefined } : fakes.ports;
  const adminToken = 'adminToken' in options ? options.adminToken : ADMIN_TOKEN;
  const app = await buildApp({
    config: { ADMIN_TOKEN: adminToken, MAX_FUTURE_SKEW_MS: 86_400_000 },
    logger: createLogger({ app: 'serving-api-test', level: 'silent' }),
    views,
    ports,
    now: () => NOW,
  });
  return { app, fakes };
}
