import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReadinessCheck } from '../ports';
import { HealthReply, ReadyReply } from '../schemas';

/** `GET /healthz`: the process is up. `GET /readyz`: Kafka, Redis and the lake answer (503 otherwise). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ checks: readonly ReadinessCheck[] }> = async (app, { checks }) => {
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: HealthReply } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: ReadyReply, 503: ReadyReply } } }, async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  });
};
