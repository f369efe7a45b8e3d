// The cross-cutting pieces: /openapi.json documents every route with its TypeBox schemas and
// Swagger UI serves at /docs; prom-client request metrics per route at /metrics; pino request
// logs carry the x-openstack-request-id and never the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildApi, endpointGateway } from '../../api/server.js';
import { startApiFixture } from './fixture.js';

test('/openapi.json documents the routes with their schemas; /docs serves Swagger UI', async (t) => {
  const f = await startApiFixture(t);
  const doc = JSON.parse((await f.call('GET', '/openapi.json', { token: null })).body) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; parameters?: unknown[] }>> };
  assert.equal(doc.openapi, '3.0.3');
  for (const [path, methods] of [
    ['/identity/v3/auth/tokens', ['post', 'get', 'delete']],
    ['/compute/v2.1/servers', ['get', 'post']],
    ['/compute/v2.1/servers/{id}', ['get', 'put', 'delete']],
    ['/compute/v2.1/servers/{id}/action', ['post']],
    ['/compute/v2.1/flavors/{id}/os-extra_specs', ['get', 'post']],
    ['/compute/v2.1/os-quota-sets/{project}', ['get', 'put', 'delete']],
    ['/image/v2/images', ['get']],
  ] as const) {
    for (const m of methods) assert.ok(doc.paths[path]?.[m] !== undefined, `${m} ${path}`);
  }
  assert.ok(doc.paths['/compute/v2.1/servers']!.post!.requestBody !== undefined);
  assert.ok(Object.keys(doc.paths).length >= 50);
  const ui = await f.call('GET', '/docs', { token: null });
  assert.equal(ui.statusCode, 200);
  assert.match(ui.headers['content-type'] as string, /text\/html/);
});

test('/metrics counts requests by route pattern; request logs carry the request id and no token', async (t) => {
  const f = await startApiFixture(t);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const app = await buildApi({ metrics: f.fabric.metrics, logger: pino({ level: 'info' }, sink), ready: () => true, actors: endpointGateway(f.fabric.endpoint) });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/compute/v2.1/flavors/1', headers: { 'x-auth-token': f.admin } });
  assert.equal(res.statusCode, 200);
  const id = res.headers['x-openstack-request-id'] as string;
  const mine = lines.filter((l) => l.includes(id));
  assert.ok(mine.length >= 2, lines.join('\n'));
  assert.ok(mine.some((l) => /"statusCode":200/.test(l)));
  assert.ok(!lines.some((l) => l.includes(f.admin)), 'no token in the logs');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /cumulo_http_requests_total\{method="GET",route="\/compute\/v2\.1\/flavors\/:id",status="200"\} \d+/);
  assert.match(metrics, /cumulo_http_request_duration_seconds_bucket/);
});
