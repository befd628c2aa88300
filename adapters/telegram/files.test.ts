// The download route behind the links managers see for files clients sent: only our signed links open, Telegram is
// asked only when a link is opened, and nothing larger than the limit is served.
import Fastify, { type FastifyInstance } from 'fastify';
import { FakeTelegram } from '../../test/support/fake-telegram';
import { errorHandler } from '../../src/http/errors';
import { fixture } from './fixtures';
import { testDeps, type TestDeps } from './fixtures/deps';
import { createTelegram } from './index';
import { SECRET_HEADER } from './verify';

const SECRET = 'tg-webhook-secret-0123456789';
let fake: FakeTelegram;
let deps: TestDeps;
let app: FastifyInstance;

beforeAll(async () => {
  fake = await new FakeTelegram().start();
  deps = testDeps({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url, TELEGRAM_FILE_LIMIT_BYTES: '1000' });
  const tg = await createTelegram(deps);
  app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler(deps.log));
  await app.register(tg.routes!);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});
beforeEach(() => fake.reset());

/** The client sends the document fixture; returns the link core stored for it, as a path on our server. */
async function linkFor(update: any): Promise<string> {
  deps.envelopes.length = 0;
  await app.inject({ method: 'POST', url: '/webhooks/telegram', payload: JSON.stringify(update), headers: { 'content-type': 'application/json', [SECRET_HEADER]: SECRET } });
  const url = new URL(deps.envelopes[0].attachments[0].url);
  return url.pathname + url.search;
}

test('a file is fetched from Telegram only when its link is opened, and served as a download with its name', async () => {
  const doc = fixture('document');
  doc.message.document.file_size = 600;
  fake.addFile(doc.message.document.file_id, Buffer.from('date,clicks\n2026-11-22,140\n'), { size: 600, path: 'documents/file_7.csv' });
  const path = await linkFor(doc);
  expect(fake.callsOf('getFile')).toEqual([]);

  const res = await app.inject({ method: 'GET', url: path });
  expect(res.statusCode).toBe(200);
  expect(res.body).toBe('date,clicks\n2026-11-22,140\n');
  expect(res.headers['content-disposition']).toBe(`attachment; filename="export-2026-11.csv"; filename*=UTF-8''export-2026-11.csv`);
  // A text/csv (or text/html) file must never render on our origin.
  expect(res.headers['content-type']).toBe('application/octet-stream');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(fake.callsOf('getFile').map((c) => c.args)).toEqual([{ file_id: 'BQACAgIAAxkBAAIBN2Vdoc' }]);
  expect(fake.downloads).toEqual(['documents/file_7.csv']);
});

test('a link with a wrong or missing signature, or for another file, opens nothing and asks Telegram nothing', async () => {
  const path = await linkFor(fixture('document'));
  const tampered = path.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const otherFile = path.replace('BQACAgIAAxkBAAIBN2Vdoc', 'BQACAgIAAxkBAAIBN2Vother');
  const unsigned = path.replace(/&?sig=[^&]+/, '');
  // 32 characters but more bytes (not ASCII): was answered 200 with the crypto error's code as the body.
  const wide = path.replace(/sig=[^&]+/, 'sig=' + encodeURIComponent('é'.repeat(32)));
  for (const url of [tampered, otherFile, unsigned, wide]) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(403);
  expect(fake.calls).toEqual([]);
});

test('a file over the limit is refused before downloading; one whose size was understated is refused or cut off', async () => {
  const big = fixture('document');
  fake.addFile(big.message.document.file_id, Buffer.alloc(5000, 1), { size: 5000, path: 'documents/big.bin' });
  const res = await app.inject({ method: 'GET', url: await linkFor(big) });
  expect(res.statusCode).toBe(413);
  expect(res.json().error).toMatch(/larger than/);
  expect(fake.downloads).toEqual([]);

  // getFile says 500 bytes, the download brings 5,000 (and says so): refused before the body is read.
  fake.addFile(big.message.document.file_id, Buffer.alloc(5000, 1), { size: 500, path: 'documents/lying.bin' });
  const lied = await app.inject({ method: 'GET', url: await linkFor(big) });
  expect(lied.statusCode).toBe(413);

  // The same without a content-length: the bytes are counted and the download stops at the limit.
  fake.addFile(big.message.document.file_id, Buffer.alloc(5000, 1), { size: 500, path: 'documents/chunked.bin', chunked: true });
  const cut = await app.inject({ method: 'GET', url: await linkFor(big) });
  expect(cut.statusCode).toBe(413);
  expect(cut.headers['content-disposition']).toBeUndefined();
  expect(cut.json().error).toMatch(/larger than/);
  expect(fake.downloads).toEqual(['documents/lying.bin', 'documents/chunked.bin']);
});

test('a photo is served with its image type; Telegram unavailable is a 502, not a hang', async () => {
  const photo = fixture('photo-caption');
  fake.addFile('AgACAgIAAxkBAAIBNmVlarge', Buffer.from([0xff, 0xd8, 0xff]), { path: 'photos/file_1.jpg' });
  const path = await linkFor(photo);
  const ok = await app.inject({ method: 'GET', url: path });
  expect(ok.headers['content-type']).toBe('image/jpeg');
  expect(ok.rawPayload).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

  fake.script('getFile', { status: 502, body: 'Bad Gateway' });
  expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(502);
});
