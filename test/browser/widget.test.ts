// The chat widget in a real browser (Debian's chromium through playwright-core), embedded as a vendor embeds it: a
// page of "the client's app" on one origin (listed in WIDGET_ORIGINS) loading /widget.js from the service on
// another. A client writes, gets the acknowledgement with urgency buttons, presses "critical" from the keyboard, and
// reads the manager's reply (sent through the admin API) arrive live; a reload shows the history; an expired token
// is refused and a fresh one from the page carries on; a page on an unlisted origin gets nothing. Screenshots at
// desktop (light) and phone (dark) sizes are saved for the README.
// Skipped when /usr/bin/chromium is missing, unless SB_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { hostPage } from '../../adapters/inapp/widget/host-page';
import { mintWidgetToken } from '../../adapters/inapp/widget/token';
import { screenshotDir } from '../support/screenshots';
import { INAPP_SECRET, startTestService, type TestService } from '../support/service';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const SCREENSHOTS = screenshotDir();

if (!HAVE_CHROMIUM && process.env.SB_REQUIRE_CHROMIUM === '1')
  test('chromium is installed (SB_REQUIRE_CHROMIUM=1)', () => {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  });
const suite = HAVE_CHROMIUM ? describe : describe.skip;
if (!HAVE_CHROMIUM) console.warn(`widget browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; SB_REQUIRE_CHROMIUM=1 makes this a failure)`);

const ACCOUNT = { accountId: 'acme', accountName: 'Acme Ltd', userId: 'ann', name: 'Ann Lee', email: 'ann@acme.test' };

let t: TestService;
let base: string;
let context: BrowserContext;
let profile: string;
let managerId: string;
const pages: http.Server[] = [];
const pageErrors: string[] = [];

/** The vendor's app: mints a token per page load (expired with ?expired=1), and a fresh one at /token. */
async function vendorApp(): Promise<string> {
  const token = (ttl: number) => mintWidgetToken(INAPP_SECRET, { ...ACCOUNT, exp: Math.floor(t.clock.now().getTime() / 1000) + ttl });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/token') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: token(3600) }));
    if (url.pathname !== '/') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(hostPage({ serviceUrl: base, token: token(url.searchParams.has('expired') ? -60 : 3600), tokenUrl: url.searchParams.has('refresh') ? '/token' : undefined, userName: ACCOUNT.name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pages.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let app: string;

suite('the chat widget in Chromium', () => {
  beforeAll(async () => {
    // The page's origin must be known before the service starts (WIDGET_ORIGINS); its pages need the service's URL.
    app = await vendorApp();
    t = await startTestService({ env: { WIDGET_ORIGINS: app } });
    base = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    // The real outbox drainer: the acknowledgement and the reply reach the widget the way they do in production.
    await t.startBackground();
    managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
    await t.admin('POST', '/api/v1/clients', { name: ACCOUNT.accountName, tier: 'premium', managerId, inappAccountId: ACCOUNT.accountId });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timezoneId: 'Europe/Moscow',
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    for (const s of pages) s.close();
    await t?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  const open = async (query = '', origin = app): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${origin}/${query}`);
    return page;
  };
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));
  const log = (page: Page) => page.getByRole('log');
  const message = (page: Page) => page.getByRole('textbox', { name: 'Message' });

  test('write, get the acknowledgement with urgency buttons, press "critical", read the manager\'s reply live; a reload shows the history', async () => {
    const page = await open();
    await expect(log(page).getAttribute('aria-live')).resolves.toBe('polite');
    await log(page).getByText('Ask us anything').waitFor();

    await message(page).fill('Conversions dropped to zero since 9:12, can you check?');
    await message(page).press('Enter');
    await log(page).getByText('Conversions dropped to zero since 9:12').waitFor();
    // The box empties once the send is answered (the stream may show the message a moment before).
    await message(page).evaluate((e: any) => new Promise<void>((done) => {
      const check = () => (e.value === '' ? done() : setTimeout(check, 20));
      check();
    }));
    const ack = log(page).getByText(/^We received your request: case #\d+\. Urgency: \w+\./);
    await ack.waitFor();
    const number = Number(/#(\d+)/.exec((await ack.textContent())!)![1]);
    const buttons = page.getByRole('group', { name: 'Set urgency' }).getByRole('button');
    await buttons.first().waitFor();
    const offered = await buttons.evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    expect(offered).toContain('Set urgency: critical');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'widget-desktop.png') });

    // From the keyboard: Shift+Tab from the message box walks back through the buttons to "critical".
    await message(page).focus();
    const critical = page.getByRole('button', { name: 'Set urgency: critical' });
    for (let i = 0; i < offered.length && !(await critical.evaluate((b) => b.matches(':focus'))); i++) await page.keyboard.press('Shift+Tab');
    await expect(critical.evaluate((b) => b.matches(':focus-visible') && b.ownerDocument.defaultView!.getComputedStyle(b).outlineStyle)).resolves.toBe('solid');
    await page.keyboard.press('Enter');
    await log(page).getByText(`Case #${number} is now critical.`, { exact: false }).waitFor();
    await page.getByRole('group', { name: 'Set urgency' }).waitFor({ state: 'detached' });
    expect((await t.admin('GET', `/api/v1/cases/${number}`)).json).toMatchObject({ urgency: 'critical', urgencySource: 'client' });

    expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'Hi Ann, the tracking domain\'s certificate expired; renewing it now.', managerId })).status).toBe(200);
    const reply = log(page).getByText('Hi Ann, the tracking domain\'s certificate expired; renewing it now.');
    await reply.waitFor();
    await log(page).getByText('Maria Petrova', { exact: false }).first().waitFor();

    // Escape closes the panel and gives focus back to the launcher; Enter there opens it and focuses the message box.
    await message(page).press('Escape');
    const launcher = page.getByRole('button', { name: 'Chat with support' });
    await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(launcher.evaluate((b) => b.matches(':focus'))).resolves.toBe(true);
    await page.keyboard.press('Enter');
    await expect(message(page).evaluate((e) => e.matches(':focus'))).resolves.toBe(true);

    const before = await log(page).locator('.msg').count();
    await page.reload();
    await reply.waitFor();
    await expect(log(page).locator('.msg').count()).resolves.toBe(before);
    await expect(log(page).getAttribute('aria-busy')).resolves.toBe('false');
    await page.close();
  });

  test('on a phone in dark mode the chat fills the screen; /status typed as a message answers', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${app}/`);
    await log(page).getByText('Hi Ann, the tracking domain', { exact: false }).waitFor();
    const panel = await page.locator('switchboard-chat').evaluate((el) => el.shadowRoot!.querySelector('.panel')!.getBoundingClientRect().toJSON());
    expect(panel).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    await message(page).fill('/status');
    await page.getByRole('button', { name: 'Send' }).click();
    await log(page).getByText(/^Your open cases:/).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'widget-phone.png') });
    await page.close();
  });

  // That the server refuses an expired token is adapters/inapp/widget/widget.test.ts's; here, what the client sees.
  test('an expired token is refused: the chat says so and is disabled; a fresh token from the page carries on', async () => {
    const page = await open('?expired=1');
    await page.getByRole('status').getByText('Your session has expired').waitFor();
    await expect(message(page).isDisabled()).resolves.toBe(true);
    await expect(log(page).locator('.msg').count()).resolves.toBe(0);
    await page.close();

    // The page listens for switchboard-token-expired and sets a fresh token: the conversation comes back.
    const refreshed = await open('?expired=1&refresh=1');
    await log(refreshed).getByText('Hi Ann, the tracking domain', { exact: false }).waitFor();
    await expect(message(refreshed).isEnabled()).resolves.toBe(true);
    await refreshed.close();
  });

  test('a page on an origin not in WIDGET_ORIGINS gets no conversation', async () => {
    const elsewhere = await vendorApp();
    const page = await open('', elsewhere);
    await page.getByRole('status').getByText('Reconnecting…').waitFor();
    await expect(log(page).locator('.msg').count()).resolves.toBe(0);
    await page.close();
  });
});
