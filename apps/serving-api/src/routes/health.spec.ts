import { describe, expect, it } from 'vitest';
import { createFakes, testApp } from '../testing/fake-ports';

describe('operations', () => {
  it('/healthz answers while the process is up', async () => {
    const { app } = await testApp();
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('/readyz answers 200 when Kafka, Redis and the lake answer, 503 naming the one that does not', async () => {
    const fakes = createFakes();
    const { app } = await testApp({ fakes });
    expect((await app.inject('/readyz')).json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'kafka', ok: true },
        { name: 'lake', ok: true },
      ],
    });
    fakes.ready['kafka'] = false;
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks[1]).toEqual({ name: 'kafka', ok: false, error: 'kafka is down' });
    await app.close();
  });

  it('/metrics serves Prometheus text with latency per route and status, and process defaults', async () => {
    const { app } = await testApp();
    await app.inject('/v1/views');
    await app.inject('/v1/views/nope/query');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/tributary_http_request_duration_seconds_count\{method="GET",route="\/v1\/views",status_code="200"\} 1/);
    expect(res.body).toMatch(/tributary_http_request_duration_seconds_count\{method="GET",route="\/v1\/views\/:name\/query",status_code="404"\} 1/);
    expect(res.body).toMatch(/process_cpu_user_seconds_total/);
    await app.close();
  });

  it('/docs/json is an OpenAPI document of every contract route with request and response schemas; /docs is the UI', async () => {
    const { app } = await testApp();
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/readyz', '/v1/batch/runs', '/v1/batch/runs/{id}', '/v1/events', '/v1/views', '/v1/views/{name}/query'].sort(),
    );
    const query = doc.paths['/v1/views/{name}/query'].get;
    expect(query.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['name', 'from', 'to', 'granularity', 'groupBy', 'filter']));
    expect(query.responses['200'].content['application/json'].schema.properties.freshness).toBeDefined();
    expect(query.responses['400']).toBeDefined();
    expect(doc.paths['/v1/events'].post.requestBody.content).toHaveProperty(['application/x-ndjson']);
    expect(doc.paths['/v1/batch/runs'].post.security).toEqual([{ admin: [] }]);
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    await app.close();
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const { app } = await testApp();
    const res = await app.inject('/v2/nothing?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ statusCode: 404, code: 'TRB_ROUTE_NOT_FOUND', error: 'Not Found', message: 'GET /v2/nothing does not exist: see /docs for the routes' });
    await app.close();
  });
});
