// The SLA board in a real browser (Debian's chromium through playwright-core): sign-in refused with a wrong token,
// the board with a case counting down, the case turning "met" with an ETA standing after an ETA is posted through the
// admin API (the page hears of it over SSE), sign-out; screenshots at phone and desktop sizes for the README.
// The service runs on an injected clock set to the real time (the browser's clock is real): SLA states come from the
// service, countdowns from the page, so the assertions check due times and state labels, not ticking seconds.
// Skipped when /usr/bin/chromium is missing, unless SB_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { sha256 } from '../../src/admin-token';
import { screenshotDir } from '../support/screenshots';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';

// Page-side callbacks run in the browser; the project compiles without the DOM's types.
declare const document: any;
declare const window: any;

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const SCREENSHOTS = screenshotDir();
const MSK = 'Europe/Moscow';

if (!HAVE_CHROMIUM && process.env.SB_REQUIRE_CHROMIUM === '1')
  test('chromium is installed (SB_REQUIRE_CHROMIUM=1)', () => {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  });
const suite = HAVE_CHROMIUM ? describe : describe.skip;
if (!HAVE_CHROMIUM) console.warn(`board browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; SB_REQUIRE_CHROMIUM=1 makes this a failure)`);

let t: TestService;
let base: string;
let context: BrowserContext;
let profile: string;
const cases: Record<string, number> = {};
let maria: string;
let boris: string;

const minutes = (m: number) => m * 60_000;
const msk = (d: DateTime) => d.setZone(MSK);

async function post(url: string, body: unknown) {
  const res = await t.admin('POST', url, body);
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${res.text}`);
  return res.json;
}

let seq = 0;
/** A client message at `at` (the service's clock is moved there first). */
async function write(account: string, text: string, urgency: string, at: Date): Promise<number> {
  t.clock.set(at);
  const res = await t.inapp({ id: `board-${++seq}`, account: { id: account, name: account }, user: { id: `${account}-u`, name: 'Client user' }, text, urgency });
  if (res.status !== 200 || res.json.status !== 'stored') throw new Error(`message: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.case.number;
}

async function command(number: number, action: string, body: Record<string, unknown>, at: Date) {
  t.clock.set(at);
  return post(`/api/v1/cases/${number}/${action}`, body);
}

/** Managers, six premium and standard clients, six weeks of answered cases for the charts, and open cases in each state. */
async function seed(now: Date) {
  t.clock.set(now);
  maria = (await post('/api/v1/managers', { name: 'Maria Petrova', timeZone: MSK })).id;
  boris = (await post('/api/v1/managers', { name: 'Boris Ivanov', timeZone: MSK })).id;
  const olga = (await post('/api/v1/managers', { name: 'Olga Smirnova', timeZone: MSK, onCall: true })).id;
  // reopenDays 0: every message after a resolution opens a new case, so the history is one case per message.
  const policy = { reopenDays: 0 };
  const clients: [string, string, string, string][] = [
    ['acme', 'Acme Ltd', maria, boris], ['globex', 'Globex Corp', maria, boris], ['initech', 'Initech', olga, maria],
    ['hooli', 'Hooli', boris, olga], ['umbrella', 'Umbrella Health', maria, olga], ['stark', 'Stark Retail', olga, boris],
  ];
  for (const [account, name, managerId, backupManagerId] of clients)
    await post('/api/v1/clients', { name, tier: account === 'initech' ? 'standard' : 'premium', managerId, backupManagerId, inappAccountId: account, policy });

  // History: six weeks back, a case per client on a weekday at 11:00 in Moscow (business hours), answered after a
  // spread of delays — some late — then resolved.
  const urgencies = ['critical', 'high', 'medium', 'low'];
  const delays = [3, 9, 22, 45, 70, 12, 130, 5, 18, 35, 8, 55, 16, 4, 95, 27];
  let n = 0;
  const monday = msk(DateTime.fromJSDate(now)).startOf('week');
  for (let w = 6; w >= 1; w--)
    for (const [i, [account]] of clients.entries()) {
      const opened = monday.minus({ weeks: w }).plus({ days: i % 5, hours: 11 }).toJSDate();
      const number = await write(account, `Weekly report numbers look off (${w}/${i})`, urgencies[n % 4], opened);
      const answered = new Date(opened.getTime() + minutes(delays[n % delays.length]));
      if (n % 3 === 0) await command(number, 'eta', { dueAt: new Date(answered.getTime() + minutes(60)).toISOString() }, answered);
      else if (n % 3 === 1) await command(number, 'needinfo', { question: 'Which report?' }, answered);
      await command(number, 'resolve', { summary: 'Fixed' }, new Date(answered.getTime() + minutes(n % 3 === 1 ? 1 : 30)));
      n++;
    }

  // Open cases, one per state.
  const ago = (m: number) => new Date(now.getTime() - minutes(m));
  cases.running = await write('acme', 'Tracking is down, all conversions lost!', 'critical', ago(2));
  cases.warned = await write('globex', 'Postbacks stopped arriving', 'critical', ago(10));
  cases.breached = await write('initech', 'The dashboard is down', 'critical', ago(20));
  cases.paused = await write('hooli', 'Can you check the weekly export?', 'medium', ago(60));
  await command(cases.paused, 'needinfo', { question: 'Which account and which week?' }, ago(50));
  cases.eta = await write('umbrella', 'Some clicks are missing from the report', 'high', ago(180));
  await command(cases.eta, 'eta', { dueAt: new Date(now.getTime() + minutes(180)).toISOString(), managerId: maria }, ago(170));
  cases.etaMissed = await write('stark', 'Conversions are not tracking', 'critical', ago(60));
  await command(cases.etaMissed, 'eta', { when: '45m' }, ago(55));
  t.clock.set(now);
  await t.tick();
  // Boris is away: Hooli's case goes to his backup, Olga.
  await post(`/api/v1/managers/${boris}/away`, {});
}

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  // Nothing may load from anywhere but this server.
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) problems.push(`request to ${r.url()}`);
  });
  return { page, problems };
}

async function signIn(page: Page, token: string) {
  await page.goto(`${base}/board`);
  await page.waitForURL(`${base}/board/login`);
  await page.fill('#token', token);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/board/login` && r.request().method() === 'POST'), page.click('button[type=submit]')]);
  return res;
}

const row = (page: Page, key: string) => page.locator(`#cases tbody tr[data-case="${cases[key]}"]`);

suite('the SLA board in a browser', () => {
  beforeAll(async () => {
    const now = new Date();
    t = await startTestService({ start: now.toISOString() });
    await seed(now);
    base = (await t.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-board-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timezoneId: MSK,
      locale: 'en-GB',
      viewport: { width: 1280, height: 900 },
    });
  }, 180_000);
  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  test('a wrong admin token is refused: no session, the board stays closed', async () => {
    await context.clearCookies();
    const { page, problems } = await openPage();
    const res = await signIn(page, 'not-the-admin-token');
    expect(res.status()).toBe(401);
    await expect(page.locator('#login-error').textContent()).resolves.toContain('not the admin token');
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${base}/board`);
    expect(page.url()).toBe(`${base}/board/login`);
    expect((await context.request.get(`${base}/board/api/state`)).status()).toBe(401);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await page.close();
  }, 60_000);

  test('the board shows each case with its state, due time and countdown; an ETA posted through the API turns it met', async () => {
    await context.clearCookies();
    const { page, problems } = await openPage();
    const res = await signIn(page, ADMIN_TOKEN);
    expect(res.status()).toBe(303);
    await page.waitForURL(`${base}/board`);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'sb_board', httpOnly: true, sameSite: 'Strict', path: '/board' });
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(11.9 * 3600_000);

    // The case under test: running, due 15 minutes after it opened, counting down.
    const running = row(page, 'running');
    const due = new Date(t.clock.now().getTime() + minutes(13));
    await expect(running.locator('td.state').textContent()).resolves.toContain('Running');
    await expect(running.locator('td.due time').getAttribute('datetime')).resolves.toBe(due.toISOString());
    await expect(running.locator('td.due').textContent()).resolves.toContain(msk(DateTime.fromJSDate(due)).toFormat('HH:mm'));
    await expect(running.locator('.countdown').textContent()).resolves.toMatch(/^in 1[23]m \d\ds$/);
    await expect(running.locator('.sla').textContent()).resolves.toBe('Running');
    const first = await running.locator('.countdown').textContent();
    await page.waitForTimeout(1500);
    expect(await running.locator('.countdown').textContent()).not.toBe(first); // it ticks

    // Every other state, told in words as well as colours.
    const states: Record<string, [string, string]> = {
      warned: ['warned', 'Warned'], breached: ['breached', 'Breached'], paused: ['paused', 'Paused'], eta: ['eta', 'ETA standing'], etaMissed: ['eta_missed', 'ETA missed'],
    };
    for (const [key, [state, label]] of Object.entries(states)) {
      await expect(row(page, key).getAttribute('data-state')).resolves.toBe(state);
      await expect(row(page, key).locator('td.state').textContent()).resolves.toContain(label);
    }
    await expect(row(page, 'eta').locator('.sla').textContent()).resolves.toBe('Met');
    await expect(page.locator('#legend').textContent()).resolves.toContain('ETA standing');
    // Nearest deadline first: the missed ETA and the breach before the running case.
    const order = await page.locator('#cases tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-case'))));
    expect(order.indexOf(cases.breached)).toBeLessThan(order.indexOf(cases.running));
    expect(order.indexOf(cases.paused)).toBe(order.length - 1);

    // Managers: Boris away, Olga covering for him.
    await expect(page.locator('#managers tr[data-manager="Boris Ivanov"]').textContent()).resolves.toMatch(/Away.*covered by Olga Smirnova \(1\)/);
    // (Outside Maria's hours in Moscow Olga, on call, also covers Maria's new cases: "for Maria Petrova (1), Boris…".)
    await expect(page.locator('#managers tr[data-manager="Olga Smirnova"]').textContent()).resolves.toMatch(/for (.+\(\d+\), )?Boris Ivanov \(1\)/);
    // This week's breaches (the breach's deadline passed five minutes ago, unless that was still last week).
    const breachDue = new Date(t.clock.now().getTime() - minutes(5));
    if (breachDue >= msk(DateTime.fromJSDate(t.clock.now())).startOf('week').toJSDate())
      await expect(page.locator('#breaches tbody').textContent()).resolves.toContain(`#${cases.breached}`);

    // Charts: drawn by Chart.js from our own server, each with its data table.
    await page.waitForFunction(() => document.querySelectorAll('#charts figure canvas').length === 5);
    await expect(page.locator('#chart-weekly details tbody tr').count()).resolves.toBe(8);
    await expect(page.locator('#chart-frt details tbody').textContent()).resolves.toMatch(/< 5 min/);
    await expect(page.locator('#totals').textContent()).resolves.toMatch(/compliance \d+(\.\d)?%/);
    expect(await page.evaluate(() => typeof window.Chart)).toBe('function');
    await page.waitForFunction(() => document.getElementById('live').textContent === 'Live');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'board-desktop.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'board-desktop-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390); // nothing wider than the phone
    await page.screenshot({ path: path.join(SCREENSHOTS, 'board-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The manager commits to an ETA through the admin API; the page hears of it over SSE and fetches again.
    t.clock.set(new Date());
    await post(`/api/v1/cases/${cases.running}/eta`, { when: '2h', managerId: maria });
    await page.waitForFunction((n) => document.querySelector(`#cases tbody tr[data-case="${n}"]`)?.getAttribute('data-state') === 'eta', cases.running, { timeout: 15_000 });
    await expect(running.locator('.sla').textContent()).resolves.toBe('Met');
    await expect(running.locator('td.state').textContent()).resolves.toContain('ETA standing');
    await expect(running.locator('.countdown').textContent()).resolves.toMatch(/^ETA in 1h 5\dm$/);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  test('signing out ends the session: the board and its stream need a new sign-in', async () => {
    const { page } = await openPage();
    await page.goto(`${base}/board`);
    expect(page.url()).toBe(`${base}/board`);
    await Promise.all([page.waitForURL(`${base}/board/login`), page.click('.top form button')]);
    expect(await context.cookies()).toEqual([]);
    expect((await context.request.get(`${base}/board/events`)).status()).toBe(401);
    await page.goto(`${base}/board`);
    expect(page.url()).toBe(`${base}/board/login`);
    await page.close();
  }, 60_000);

  test('the API reference opens in the browser from this server alone', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}/api/docs`);
    await page.waitForSelector('.swagger-ui .info .title');
    await expect(page.locator('.swagger-ui .info .title').textContent()).resolves.toContain('Switchboard admin API');
    await page.waitForSelector('.opblock-tag');
    expect(await page.locator('.opblock').count()).toBeGreaterThan(40);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

// The same guarantees through fastify.inject, so they hold wherever the suite runs (chromium or not).
describe('board sessions and figures, without a browser', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService({ start: '2026-11-23T08:00:00Z' });
  });
  afterAll(() => s.close());

  const login = (token: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: 'POST', url: '/board/login', payload: { token }, headers });
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0];

  test('only the sign-in page opens without a session; every other board route is a 401 (or a redirect to sign in)', async () => {
    const routes = s.app.routeList.filter((r) => r.url.startsWith('/board') && r.url !== '/board/login');
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /board', 'GET /board/api/charts', 'GET /board/api/state', 'GET /board/assets/board.css', 'GET /board/assets/board.js',
      'GET /board/assets/chart.umd.min.js', 'GET /board/events', 'POST /board/logout',
    ]);
    for (const cookie of [undefined, 'sb_board=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'sb_board=../../etc']) {
      for (const r of routes) {
        const res = await s.app.inject({ method: r.method as 'GET', url: r.url, headers: cookie ? { cookie } : {} });
        expect([r.url, res.statusCode, res.json().error]).toEqual([r.url, 401, expect.stringContaining('sign in')]);
      }
    }
    const page = await s.app.inject({ method: 'GET', url: '/board', headers: { accept: 'text/html' } });
    expect([page.statusCode, page.headers.location]).toEqual([303, '/board/login']);
    expect((await login('wrong-token-0123456789')).statusCode).toBe(401);
    expect((await login('')).statusCode).toBe(401);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, scoped to /board, expires in 12 hours, and Secure over HTTPS', async () => {
    const plain = await login(ADMIN_TOKEN);
    expect(plain.statusCode).toBe(200);
    expect(String(plain.headers['set-cookie'])).toMatch(/^sb_board=[\w-]{43}; Path=\/board; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const https = await login(ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(String(https.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    // Only the id's hash is stored.
    const rows = await s.db.db.select().from((await import('../../src/db/schema')).boardSessions);
    const id = cookieOf(plain).slice('sb_board='.length);
    expect(rows.map((r) => r.idSha256)).not.toContain(id);
    expect(rows.map((r) => r.idSha256)).toContain(sha256(id));

    const cookie = cookieOf(plain);
    expect((await s.app.inject({ method: 'GET', url: '/board/api/state', headers: { cookie } })).statusCode).toBe(200);
    s.clock.advance(12 * 3600_000 - 1000);
    expect((await s.app.inject({ method: 'GET', url: '/board/api/state', headers: { cookie } })).statusCode).toBe(200);
    s.clock.advance(1000);
    expect((await s.app.inject({ method: 'GET', url: '/board/api/state', headers: { cookie } })).statusCode).toBe(401);
  });

  test('sign-in and sign-out refuse other sites (CSRF), and a sign-out ends the session', async () => {
    expect((await login(ADMIN_TOKEN, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await login(ADMIN_TOKEN, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await login(ADMIN_TOKEN, { origin: 'null' })).statusCode).toBe(403);
    const ok = await login(ADMIN_TOKEN, { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' });
    expect(ok.statusCode).toBe(200);
    const cookie = cookieOf(ok);
    expect((await s.app.inject({ method: 'POST', url: '/board/logout', headers: { cookie, origin: 'https://evil.example' } })).statusCode).toBe(403);
    const out = await s.app.inject({ method: 'POST', url: '/board/logout', headers: { cookie } });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await s.app.inject({ method: 'GET', url: '/board/api/state', headers: { cookie } })).statusCode).toBe(401);
  });

  test('first response time: the first response clock of a case, opening to the response that stopped it', async () => {
    s.clock.set('2026-11-30T08:00:00Z'); // Monday 11:00 in Moscow
    const cookie = cookieOf(await login(ADMIN_TOKEN));
    const manager = (await s.admin('POST', '/api/v1/managers', { name: 'Fiona First', timeZone: MSK })).json;
    await s.admin('POST', '/api/v1/clients', { name: 'First Co', tier: 'premium', managerId: manager.id, inappAccountId: 'acct-first' });
    const msg = (id: string) => s.inapp({ id, account: { id: 'acct-first', name: 'First Co' }, user: { id: 'u', name: 'U' }, text: 'Numbers look off', urgency: 'critical' });
    const number = (await msg('first-1')).json.case.number;
    s.clock.advanceMinutes(7);
    expect((await s.admin('POST', `/api/v1/cases/${number}/needinfo`, { question: 'Which report?' })).status).toBe(200);
    // The client answers; the second clock on the case is answered an hour later and late, but is not a first response.
    s.clock.advanceMinutes(3);
    await msg('first-2');
    s.clock.advanceMinutes(60);
    expect((await s.admin('POST', `/api/v1/cases/${number}/resolve`, {})).status).toBe(200);
    const charts = (await s.app.inject({ method: 'GET', url: '/board/api/charts?from=2026-11-30&to=2026-11-30', headers: { cookie } })).json();
    expect(charts.firstResponse.filter((b: { cases: number }) => b.cases)).toEqual([{ label: '5–15 min', fromMinutes: 5, toMinutes: 15, cases: 1 }]);
    expect(charts.totals).toMatchObject({ total: 2, met: 1, breached: 1, responded: 1, medianMinutes: 7 });
    expect(charts.weekly).toEqual([{ week: '2026-W49', from: '2026-11-30', total: 2, met: 1, breached: 1, running: 0, compliance: 0.5 }]);
    expect(charts.byManager).toEqual([expect.objectContaining({ name: 'Fiona First', met: 1, breached: 1, medianMinutes: 7 })]);

    const bad = async (q: string) => (await s.app.inject({ method: 'GET', url: `/board/api/charts?${q}`, headers: { cookie } })).json().error;
    await expect(bad('from=2026-12-01&to=2026-11-01')).resolves.toBe('from must not be after to');
    await expect(bad('from=2024-01-01&to=2026-11-01')).resolves.toBe('the range may span at most 366 days');
    await expect(bad('from=2026-13-01')).resolves.toMatch(/^from must be a date/);
    await expect(bad('to=yesterday')).resolves.toMatch(/^to must be a date/);
  });
});
