// Generated garbage never breaks the API: fast-check throws random path values, query strings,
// microversion and token headers and bodies (JSON of any shape, or not JSON at all) at every
// route of /openapi.json, with a valid admin token, no token or a wrong one. No answer is a 5xx,
// and every error is a well-formed fault body of the route's own service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';
import { faultStatus, fill, routesOf } from './routes.js';

const QUERY_KEYS = ['limit', 'marker', 'sort_key', 'sort_dir', 'name', 'status', 'is_public', 'all_tenants', 'project_id', 'user_id', 'minRam', 'offset', 'nocatalog', 'user.id', 'tag', 'sort', 'visibility', 'include_names', 'enabled', 'host'];

test('random requests to every route: never a 5xx, errors always in the service fault format', async (t) => {
  const f = await startApiFixture(t);
  await realCirros(f.fabric);
  const routes = await routesOf(f.app);
  assert.ok(routes.length >= 60, `${routes.length} routes`);
  const value = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.integer().map(String),
    fc.constantFrom('1', '0', '-1', '1e99', 'None', 'true', 'admin', 'default', 'member', '..', '%', 'latest', '5a5a5a5a-0000-4000-8000-000000000000', 'x'.repeat(300)),
  );
  const request = fc.record({
    route: fc.constantFrom(...routes),
    params: fc.dictionary(fc.constantFrom('id', 'key', 'project', 'target', 'userId', 'roleId', 'action'), value),
    query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), value), { maxLength: 4 }),
    version: fc.option(fc.oneof(fc.string(), fc.constantFrom('compute 2.1', 'compute latest', 'compute 2.37', 'compute 2.38', '2.99', 'compute 0.9', 'compute 2.1, compute 2.2'))),
    token: fc.constantFrom('admin', 'none', 'garbage'),
    body: fc.option(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.constant('{"server": {"name": "x"}}'))),
  });
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const search = new URLSearchParams(r.query).toString();
      const url = fill(r.route.path, r.params) + (search === '' ? '' : `?${search}`);
      const headers: Record<string, string> = {};
      if (r.token === 'admin') headers['x-auth-token'] = f.admin;
      if (r.token === 'garbage') headers['x-auth-token'] = 'gAAAAA-not-a-real-token';
      if (r.version !== null) headers['openstack-api-version'] = r.version;
      if (r.body !== null) headers['content-type'] = 'application/json';
      const res = await f.app.inject({ method: r.route.method as 'GET', url, headers, ...(r.body === null ? {} : { payload: r.body }) });
      assert.ok(res.statusCode < 500, `${r.route.method} ${url} → ${res.statusCode} ${res.body}`);
      assert.match(res.headers['x-openstack-request-id'] as string, /^req-/);
      if (res.statusCode >= 400 && r.route.method !== 'HEAD') {
        assert.equal(faultStatus(r.route.style, JSON.parse(res.body)), res.statusCode, `${r.route.method} ${url}: ${res.body}`);
      }
    }),
    { numRuns: 700 },
  );
});
