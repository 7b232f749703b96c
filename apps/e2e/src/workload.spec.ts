import { createEventValidator, parseViews } from '@tributary/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { malformedKinds, Workload } from './workload';

const views = parseViews(readFileSync(join(import.meta.dirname, '../../../config/views.yaml'), 'utf8'), 'config/views.yaml');
const validator = createEventValidator(views, { maxFutureSkewMs: 86_400_000 });
const now = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('Workload', () => {
  it('is reproducible from its seed', () => {
    const a = new Workload({ seed: 7, runId: 'r' }).kafkaMessages(500, now);
    const b = new Workload({ seed: 7, runId: 'r' }).kafkaMessages(500, now);
    expect(a.map((m) => m.value.toString('base64'))).toEqual(b.map((m) => m.value.toString('base64')));
  });

  it('sends valid events that the contract accepts as they are, copies included', () => {
    const workload = new Workload({ seed: 1, runId: 'r' });
    const messages = workload.kafkaMessages(5_000, now);
    const valid = messages.filter((m) => m.event);
    for (const m of valid) {
      const result = validator.parse(m.value.toString('utf8'), now);
      expect(result.ok, m.value.toString()).toBe(true);
      if (result.ok) expect(result.event).toEqual(m.event);
    }
    const ids = valid.map((m) => m.event?.id);
    const copies = ids.length - new Set(ids).size;
    expect(copies / messages.length).toBeGreaterThan(0.03);
    expect(copies / messages.length).toBeLessThan(0.07);
    expect(valid.some((m) => (m.event?.ts ?? now) < now - 86_400_000)).toBe(true);
  });

  it('sends malformed messages of every kind, each rejected with the reason it expects', () => {
    const kinds = malformedKinds(3, now);
    for (const kind of kinds) {
      if (kind.value.length === 0) continue; // the speed layer rejects an empty message before parsing
      const result = validator.parse(kind.value, now);
      expect(result.ok, kind.kind).toBe(false);
      if (!result.ok && kind.kind !== 'not UTF-8') expect(result.reason, kind.kind).toMatch(kind.reason);
    }
    const workload = new Workload({ seed: 2, runId: 'r' });
    workload.kafkaMessages(3_000, now);
    expect(new Set(workload.malformed.map((m) => m.kind)).size).toBe(kinds.length);
  });

  it('writes inbox files whose valid rows the contract accepts and whose bad rows it rejects', () => {
    const workload = new Workload({ seed: 3, runId: 'r' });
    workload.kafkaMessages(200, now);
    const file = workload.inboxFile('ndjson', 300, now);
    const lines = file.content.toString('utf8').trim().split('\n');
    const badRows = new Set(file.bad.map((b) => b.row));
    lines.forEach((line, i) => expect(validator.parse(line, now).ok, line).toBe(!badRows.has(i + 1)));
    expect(file.bad.length).toBeGreaterThan(0);
    const csv = workload.inboxFile('csv', 50, now).content.toString('utf8').split('\n');
    expect(csv[0]).toMatch(/^id,type,ts,/);
  });

  it('builds HTTP bodies whose rejected items are listed by index', () => {
    const batch = new Workload({ seed: 4, runId: 'r' }).httpBatch(300, now);
    const rejected = new Set(batch.rejected.map((r) => r.index));
    batch.items.forEach((item, i) => {
      const result = validator.validate(item, now);
      expect(result.ok, JSON.stringify(item)).toBe(!rejected.has(i));
    });
  });
});
