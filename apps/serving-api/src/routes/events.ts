import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventValidator } from '@tributary/core';
import type { onRequestAsyncHookHandler } from 'fastify';
import { ServingError } from '../errors';
import type { EventSink } from '../ports';
import { errors, EventsBody, EventsReply } from '../schemas';
import { ingestEvents, jsonBodyItems, NDJSON_TYPE, ndjsonBodyItems } from '../services/ingest';

export const EVENTS_BODY_LIMIT = 1_048_576;

export interface EventRoutesOptions {
  validator: EventValidator;
  sink: EventSink;
  guard: onRequestAsyncHookHandler;
  now?: () => number;
}

/**
 * Admin: `POST /v1/events` — one event, a JSON array, or NDJSON; ≤ 1 MiB. Valid events are in Kafka
 * (acks from all in-sync replicas) before the 202; rejected ones are listed with their index.
 */
export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { validator, sink, guard, now = Date.now }) => {
  app.addContentTypeParser(NDJSON_TYPE, { parseAs: 'string', bodyLimit: EVENTS_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/events',
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      onRequest: guard,
      // The body is checked item by item (CONTRACT.md §1), not by a schema: the schema documents it.
      validatorCompiler: () => (value) => ({ value }),
      schema: {
        tags: ['events'],
        security: [{ admin: [] }],
        consumes: ['application/json', NDJSON_TYPE],
        body: EventsBody,
        response: { 202: EventsReply, ...errors(400, 401, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const body: unknown = request.body;
      const ndjson = (request.headers['content-type'] ?? '').toLowerCase().startsWith(NDJSON_TYPE);
      if (typeof body === 'string' && !ndjson) {
        throw new ServingError('TRB_MEDIA_TYPE_UNSUPPORTED', `content-type ${String(request.headers['content-type']).slice(0, 100)} is not supported: send application/json or ${NDJSON_TYPE}`);
      }
      const items = ndjson && typeof body === 'string' ? ndjsonBodyItems(body) : jsonBodyItems(body);
      const answer = await ingestEvents({ validator, sink }, items, now());
      return reply.code(202).send(answer);
    },
  );
};
