import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../schemas';

/** The OpenAPI document generated from the routes' TypeBox schemas, at `/docs/json`, and its UI at `/docs`. */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tributary serving API', version: '1.0.0', description: 'Merged batch + speed queries, batch runs and HTTP ingest (CONTRACT.md §4).' },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
