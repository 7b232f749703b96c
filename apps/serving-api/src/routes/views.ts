import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findView, formatBucket, normalizeQuery, type ViewDefinition } from '@tributary/core';
import type { ServingPorts } from '../ports';
import { errors, QueryReply, QueryString, ViewParams, ViewsReply } from '../schemas';
import { createMergedQuery } from '../services/merged-query';

export interface ViewRoutesOptions {
  views: readonly ViewDefinition[];
  ports: Pick<ServingPorts, 'speed' | 'batch' | 'lag'>;
  now?: () => number;
}

/** `GET /v1/views` and `GET /v1/views/:name/query` (CONTRACT.md §4). */
export const viewRoutes: FastifyPluginAsyncTypebox<ViewRoutesOptions> = async (app, { views, ports, now = Date.now }) => {
  const listed = {
    views: views.map((v) => ({
      name: v.name,
      eventTypes: [...v.eventTypes],
      granularity: v.granularity,
      dimensions: [...v.dimensions],
      metrics: v.metrics.map((m) => ({ name: m.name, kind: m.kind, ...(m.field !== undefined ? { field: m.field } : {}) })),
    })),
  };
  const mergedQuery = createMergedQuery(ports);
  app.get('/v1/views', { schema: { tags: ['views'], response: { 200: ViewsReply } } }, async () => listed);

  app.get(
    '/v1/views/:name/query',
    {
      schema: {
        tags: ['views'],
        summary: 'batch view ⊕ speed generations, rolled up, grouped and filtered',
        params: ViewParams,
        querystring: QueryString,
        response: { 200: QueryReply, ...errors(400, 404) },
      },
    },
    async (request) => {
      const view = findView(views, request.params.name);
      const { from, to, granularity, groupBy, filter } = request.query;
      const query = normalizeQuery(view, { from, to, granularity, groupBy, filter }, now());
      const [answer, lag] = await Promise.all([mergedQuery(view, query), ports.lag()]);
      return {
        view: view.name,
        from: formatBucket(query.from),
        to: formatBucket(query.to),
        granularity: query.granularity,
        rows: answer.rows,
        freshness: {
          batchVersion: answer.pointer?.version ?? null,
          batchCompletedAt: answer.pointer?.completedAt ?? null,
          speedLagMessages: lag,
        },
      };
    },
  );
};
