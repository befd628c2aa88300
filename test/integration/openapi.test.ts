// The API reference (issue 13): an OpenAPI 3.1 document generated from the zod schemas the routes parse() with.
// Fails when a route under /api/v1 is missing from the document, when an example doesn't validate against its
// schema, or when the documented replies drift from what the API answers. The reader is served from this server.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { startTestService, type TestService } from '../support/service';

let t: TestService;
let doc: any;
let ajv: Ajv2020;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** A JSON pointer into the document, as a URI fragment. */
const pointer = (...parts: (string | number)[]) => '#' + parts.map((p) => '/' + encodeURIComponent(String(p).replace(/~/g, '~0').replace(/\//g, '~1'))).join('');
const validatorAt = (ptr: string) => ajv.getSchema(`openapi.json${ptr}`) ?? ajv.compile({ $ref: `openapi.json${ptr}` });
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

beforeAll(async () => {
  t = await startTestService();
  const res = await t.app.inject({ method: 'GET', url: '/api/docs/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; the document's own keys are not schema keywords (strict off).
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
});
afterAll(() => t.close());

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] })));

test('the document is OpenAPI 3.1 and lists every route under /api/v1, each with a summary, its replies and how it is authenticated', () => {
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  const routes = t.app.routeList.filter((r) => r.url.startsWith('/api/v1/'));
  expect(routes.length).toBeGreaterThan(40);
  const missing = routes.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
  expect(missing).toEqual([]);
  // Nothing else: the board, webhooks, health and the reader itself stay out.
  expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);

  for (const { path, method, op } of operations()) {
    const where = `${method.toUpperCase()} ${path}`;
    expect([where, typeof op.summary === 'string' && op.summary.length > 3]).toEqual([where, true]);
    expect([where, Object.keys(op.responses ?? {}).some((c) => /^2\d\d$/.test(c))]).toEqual([where, true]);
    // Every request body is described, and comes with an example to copy.
    if (op.requestBody) {
      const media = op.requestBody.content['application/json'];
      expect([where, !!media?.schema, media?.example !== undefined || Object.keys(media?.examples ?? {}).length > 0]).toEqual([where, true, true]);
    }
    // A path parameter in the URL is a documented parameter.
    for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))
      expect([where, name, op.parameters?.some((p: any) => p.in === 'path' && p.name === name)]).toEqual([where, name, true]);
  }
  expect(doc.security).toEqual([{ bearerAuth: [] }]);
  expect(doc.paths['/api/v1/inapp/accounts/{accountId}/messages'].get.security).toEqual([{ inappTimestamp: [], inappSignature: [] }]);
});

test('every example validates against its schema: request bodies, parameters and examples inside schemas', () => {
  const failures: string[] = [];
  let checked = 0;
  const check = (schemaPtr: string, value: unknown, what: string) => {
    checked++;
    const validate = validatorAt(schemaPtr);
    if (!validate(value)) failures.push(`${what}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 200)}`);
  };
  for (const { path, method, op } of operations()) {
    const where = `${method.toUpperCase()} ${path}`;
    for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, any>)) {
      const schema = pointer('paths', path, method, 'requestBody', 'content', type, 'schema');
      if (media.example !== undefined) check(schema, media.example, `${where} body example`);
      for (const [name, ex] of Object.entries((media.examples ?? {}) as Record<string, { value: unknown }>)) check(schema, ex.value, `${where} body example ${name}`);
    }
    (op.parameters ?? []).forEach((p: any, i: number) => {
      if (p.example !== undefined) check(pointer('paths', path, method, 'parameters', i, 'schema'), p.example, `${where} parameter ${p.name}`);
    });
  }
  // `examples` arrays anywhere in a schema (a field's own examples, a component's).
  const walk = (node: unknown, parts: (string | number)[]) => {
    if (Array.isArray(node)) return node.forEach((x, i) => walk(x, [...parts, i]));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const isSchema = ['type', 'properties', 'anyOf', '$ref', 'items'].some((k) => k in o);
    if (isSchema && Array.isArray(o.examples)) o.examples.forEach((ex, i) => check(pointer(...parts), ex, `${pointer(...parts)} examples[${i}]`));
    for (const [k, v] of Object.entries(o)) if (!(isSchema && k === 'examples')) walk(v, [...parts, k]);
  };
  walk(doc.paths, ['paths']);
  walk(doc.components.schemas, ['components', 'schemas']);
  expect(failures).toEqual([]);
  expect(checked).toBeGreaterThan(30);
});

test('the documented replies are what the API answers', async () => {
  const failures: string[] = [];
  // The error replies are checked against their documentation too: the walk must meet them.
  const statuses = new Set<number>();
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, route: string, body?: unknown) => {
    const res = await t.admin(method, url, body);
    const responses = doc.paths[openApiPath(route)][method.toLowerCase()].responses;
    if (!responses[res.status]) failures.push(`${method} ${route}: ${res.status} is not documented (${res.text.slice(0, 200)})`);
    else {
      const validate = validatorAt(pointer('paths', openApiPath(route), method.toLowerCase(), 'responses', res.status, 'content', 'application/json', 'schema'));
      if (!validate(res.json)) failures.push(`${method} ${route} ${res.status}: ${ajv.errorsText(validate.errors)}`);
    }
    statuses.add(res.status);
    return res.json;
  };
  const manager = await call('POST', '/api/v1/managers', '/api/v1/managers', { name: 'Olga Docs', email: 'olga@vendor.test', timeZone: 'Europe/Moscow' });
  await call('GET', '/api/v1/managers', '/api/v1/managers');
  await call('GET', `/api/v1/managers/${manager.id}`, '/api/v1/managers/:id');
  const client = await call('POST', '/api/v1/clients', '/api/v1/clients', {
    name: 'Docs Ltd', tier: 'premium', managerId: manager.id, inappAccountId: 'acct-docs',
    calendar: { zone: 'Europe/Moscow', week: { mon: [['10:00', '19:00']], tue: [['10:00', '19:00']] }, holidays: [] }, policy: { warnAt: [0.5] },
  });
  await call('GET', `/api/v1/clients/${client.id}`, '/api/v1/clients/:id');
  await call('PATCH', `/api/v1/clients/${client.id}`, '/api/v1/clients/:id', { name: '' }); // a 400, as documented
  await call('POST', '/api/v1/contacts', '/api/v1/contacts', { clientId: client.id, name: 'Dora', identities: [{ channel: 'inapp', externalId: 'dora' }] });
  await call('GET', `/api/v1/contacts?clientId=${client.id}`, '/api/v1/contacts');
  await call('GET', '/api/v1/calendars/default', '/api/v1/calendars/default');
  await call('GET', '/api/v1/policies/default', '/api/v1/policies/default');
  await call('POST', '/api/v1/policies', '/api/v1/policies', { name: 'Docs policy', spec: { reopenDays: 3 } });
  await call('GET', '/api/v1/settings/triage', '/api/v1/settings/triage');
  const sent = await t.inapp({ id: 'docs-1', account: { id: 'acct-docs', name: 'Docs Ltd' }, user: { id: 'dora', name: 'Dora' }, text: 'Tracking is down!' });
  const number = sent.json.case.number;
  await call('GET', `/api/v1/cases?clientId=${client.id}`, '/api/v1/cases');
  await call('POST', `/api/v1/cases/${number}/eta`, '/api/v1/cases/:ref/eta', { when: '2h', managerId: manager.id });
  await call('GET', `/api/v1/cases/${number}`, '/api/v1/cases/:ref');
  await call('GET', '/api/v1/cases/999999', '/api/v1/cases/:ref'); // a 404, as documented
  await call('GET', '/api/v1/reports/sla', '/api/v1/reports/sla');
  await call('POST', `/api/v1/clients/${client.id}/links`, '/api/v1/clients/:id/links', { channel: 'telegram', key: '7000000001:42' });
  await call('POST', `/api/v1/clients/${client.id}/link-codes`, '/api/v1/clients/:id/link-codes', {});
  await call('POST', `/api/v1/managers/${manager.id}/away`, '/api/v1/managers/:id/away');
  await call('GET', '/api/v1/features', '/api/v1/features');
  expect(failures).toEqual([]);
  expect([...statuses].sort()).toEqual([200, 201, 400, 404]);
});

test('the reader is Swagger UI served from this server at /api/docs, without the admin token and without a CDN', async () => {
  const page = await t.app.inject({ method: 'GET', url: '/api/docs' });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toMatch(/text\/html/);
  const csp = String(page.headers['content-security-policy']);
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/https?:/);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((a) => !a.startsWith('data:'));
  expect(assets.length).toBeGreaterThanOrEqual(3);
  for (const a of assets) {
    expect(a.startsWith('/api/docs/')).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: a })).statusCode).toBe(200);
  }
  // What the reader loads is this document, and nothing from elsewhere.
  const reader = (await t.app.inject({ method: 'GET', url: '/api/docs/static/reader.js' })).body;
  expect(reader).toContain("url: '/api/docs/openapi.json'");
  expect(reader).toContain('validatorUrl: null');
});
