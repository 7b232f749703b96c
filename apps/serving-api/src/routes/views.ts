import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findView, formatBucket, normalizeQuery, type QueryResultRow, type ViewDefinition, type ViewQuery } from '@tributary/core';
import type { ServingPorts } from '../ports';
import { errors, QueryReply, QueryString, ViewParams, ViewsReply } from '../schemas';
import { createMergedQuery, type MergedAnswer } from '../services/merged-query';

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
    async (request, reply) => {
      const view = findView(views, request.params.name);
      const { from, to, granularity, groupBy, filter } = request.query;
      const query = normalizeQuery(view, { from, to, granularity, groupBy, filter }, now());
      const [answer, lag] = await Promise.all([mergedQuery(view, query), ports.lag()]);
      // Already serialized QueryReply JSON: fastify sends bytes as they are.
      return reply.type('application/json; charset=utf-8').send(body(view, query, answer, lag) as never);
    },
  );

  /**
   * The reply as JSON bytes (the QueryReply shape, in its property order). A cached answer's rows
   * are one shared array, so its JSON is kept with it (WeakMap) and the bytes are rebuilt only when
   * the freshness part changes (the lag is recomputed at most every 500 ms): repeated queries then
   * write the same Buffer instead of serializing ~10 KiB each.
   */
  const bodies = new WeakMap<readonly QueryResultRow[], { rows: string; freshness: string; bytes: Buffer }>();
  function body(view: ViewDefinition, query: ViewQuery, answer: MergedAnswer, lag: number | null): Buffer {
    const freshness = JSON.stringify({
      batchVersion: answer.pointer?.version ?? null,
      batchCompletedAt: answer.pointer?.completedAt ?? null,
      speedLagMessages: lag,
    });
    const known = bodies.get(answer.rows);
    if (known !== undefined && known.freshness === freshness) return known.bytes;
    const rows = known?.rows ?? JSON.stringify(answer.rows);
    const head = JSON.stringify({ view: view.name, from: formatBucket(query.from), to: formatBucket(query.to), granularity: query.granularity });
    const bytes = Buffer.from(`${head.slice(0, -1)},"rows":${rows},"freshness":${freshness}}`, 'utf8');
    bodies.set(answer.rows, { rows, freshness, bytes });
    return bytes;
  }
};
