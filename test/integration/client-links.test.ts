// Tying channel accounts to clients through the admin API (POST/GET/DELETE /api/v1/clients/:id/links): a key belongs
// to one client at a time, and keys are stored in the form their channel compares them in (mail in lower case).
import { EMAIL_ENV_NOWHERE } from '../../adapters/email/test-support';
import { startTestService, type TestService } from '../support/service';

let t: TestService;
let a: string;
let b: string;
beforeAll(async () => {
  // The email channel on, pointed nowhere: links are what is tested, not mail.
  t = await startTestService({
    env: EMAIL_ENV_NOWHERE,
  });
  const m = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova' })).json.id;
  a = (await t.admin('POST', '/api/v1/clients', { name: 'Acme', managerId: m })).json.id;
  b = (await t.admin('POST', '/api/v1/clients', { name: 'Globex', managerId: m })).json.id;
});
afterAll(() => t.close());

test('a key is tied to one client; tying it again to the same client is harmless, to another a 409 naming why', async () => {
  const first = await t.admin('POST', `/api/v1/clients/${a}/links`, { channel: 'telegram', key: '7000000001:-100200300' });
  expect(first.status).toBe(201);
  expect((await t.admin('POST', `/api/v1/clients/${a}/links`, { channel: 'telegram', key: '7000000001:-100200300' })).status).toBe(200);
  const other = await t.admin('POST', `/api/v1/clients/${b}/links`, { channel: 'telegram', key: '7000000001:-100200300' });
  expect(other.status).toBe(409);
  expect(other.json.error).toMatch(/linked to another client/);
  expect((await t.admin('GET', `/api/v1/clients/${a}/links`)).json.links).toEqual([expect.objectContaining({ channel: 'telegram', key: '7000000001:-100200300' })]);
  const gone = await t.admin('DELETE', `/api/v1/clients/${a}/links`, { channel: 'telegram', key: '7000000001:-100200300' });
  expect(gone.json.links).toEqual([]);
  expect((await t.admin('POST', `/api/v1/clients/${b}/links`, { channel: 'telegram', key: '7000000001:-100200300' })).status).toBe(201);
});

test('mail domains and addresses are stored in lower case, as incoming mail is compared', async () => {
  const res = await t.admin('POST', `/api/v1/clients/${a}/links`, { channel: 'email', key: ' Acme.COM ' });
  expect(res.status).toBe(201);
  expect(res.json.links).toEqual([expect.objectContaining({ channel: 'email', key: 'acme.com' })]);
  // The same domain typed differently is the same key.
  expect((await t.admin('POST', `/api/v1/clients/${b}/links`, { channel: 'email', key: 'ACME.com' })).status).toBe(409);
});

test('bad links are 400s that name the field', async () => {
  const res = await t.admin('POST', `/api/v1/clients/${a}/links`, { channel: 'fax', key: 'x' });
  expect(res.status).toBe(400);
  expect(res.json.error).toMatch(/^channel: /);
  const long = await t.admin('POST', `/api/v1/clients/${a}/links`, { channel: 'email', key: 'x'.repeat(300) });
  expect(long.status).toBe(400);
  expect(long.json.error).toMatch(/^key: /);
});
