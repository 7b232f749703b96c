import { createEventValidator, parseViews } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { ServingError } from '../errors';
import { ingestEvents, jsonBodyItems } from './ingest';

const validator = createEventValidator(
  parseViews('views:\n  - { name: pay, eventTypes: [payment], granularity: minute, dimensions: [], metrics: [{ name: n, kind: count }] }', 'test.yaml'),
);
const now = Date.UTC(2026, 11, 1, 12);
const items = jsonBodyItems([{ id: 'a', type: 'payment', ts: now }, { id: 'b' }]);

describe('ingestEvents', () => {
  it('answers once Kafka acknowledged the valid events, listing the rejected ones', async () => {
    const sent: unknown[] = [];
    const answer = await ingestEvents({ validator, sink: { send: async (m) => void sent.push(...m) } }, items, now);
    expect(answer).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    expect(sent).toHaveLength(1);
  });

  it('gives up waiting with a retriable 503 that says what to do when Kafka does not acknowledge in time', async () => {
    const never = { send: () => new Promise<void>(() => undefined) };
    const answer = ingestEvents({ validator, sink: never, ackTimeoutMs: 20 }, items, now);
    await expect(answer).rejects.toBeInstanceOf(ServingError);
    await expect(answer).rejects.toMatchObject({ code: 'TRB_KAFKA_UNAVAILABLE', statusCode: 503, retriable: true, message: expect.stringMatching(/retry the request/) as unknown });
  });
});
