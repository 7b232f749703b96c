import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ViewDefinition } from '@tributary/core';
import type { onRequestAsyncHookHandler } from 'fastify';
import { ServingError } from '../errors';
import type { BatchRuns } from '../ports';
import { BatchRun, errors, RunParams, RunQueued, RunRequest, RunsQuery, RunsReply } from '../schemas';

export interface BatchRunRoutesOptions {
  views: readonly ViewDefinition[];
  runs: BatchRuns | undefined;
  guard: onRequestAsyncHookHandler;
}

/** Admin: `POST /v1/batch/runs`, `GET /v1/batch/runs/:id`, `GET /v1/batch/runs?limit=` (CONTRACT.md §4). */
export const batchRunRoutes: FastifyPluginAsyncTypebox<BatchRunRoutesOptions> = async (app, { views, runs, guard }) => {
  const known = new Set(views.map((v) => v.name));
  const queue = (): BatchRuns => {
    if (runs === undefined) throw new ServingError('TRB_BATCH_UNAVAILABLE', 'batch runs are unavailable: the recompute queue is not connected');
    return runs;
  };
  const common = { tags: ['batch runs'], security: [{ admin: [] }] };

  app.post(
    '/v1/batch/runs',
    {
      onRequest: guard,
      // No body at all means `{}`: every view.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: { ...common, body: RunRequest, response: { 202: RunQueued, ...errors(400, 401, 503) } },
    },
    async (request, reply) => {
      const asked = request.body?.views;
      const unknown = (asked ?? []).filter((v) => !known.has(v));
      if (unknown.length > 0) {
        throw new ServingError('TRB_REQUEST_INVALID', `views: ${unknown.map((v) => JSON.stringify(v.slice(0, 100))).join(', ')} not defined; known views: ${[...known].join(', ')}`);
      }
      const run = await queue().request(asked === undefined ? undefined : [...new Set(asked)]);
      return reply.code(202).send(run);
    },
  );

  app.get(
    '/v1/batch/runs/:id',
    { onRequest: guard, schema: { ...common, params: RunParams, response: { 200: BatchRun, ...errors(400, 401, 404, 503) } } },
    async (request) => {
      const run = await queue().get(request.params.id);
      if (run === undefined) throw new ServingError('TRB_BATCH_RUN_NOT_FOUND', `batch run "${request.params.id.slice(0, 200)}" does not exist (or was pruned): list runs with GET /v1/batch/runs`);
      return run;
    },
  );

  app.get(
    '/v1/batch/runs',
    { onRequest: guard, schema: { ...common, querystring: RunsQuery, response: { 200: RunsReply, ...errors(400, 401, 503) } } },
    async (request) => ({ runs: await queue().list(request.query.limit ?? 20) }),
  );
};
