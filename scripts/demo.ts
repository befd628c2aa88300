// npm run demo — the whole loop on one machine: the service on the embedded database (a fresh ./data-demo every
// run), a manager, a premium client with a round-the-clock calendar (so the SLA clock runs whenever you try it), and
// a page of "the client's app" with the chat widget on another port, i.e. another origin, as a vendor embeds it.
// Prints where to be the client, where to be the manager, and the curl line that answers as the manager.
//
// Environment: PORT (default 3000) for the service, DEMO_PAGE_PORT (default PORT + 1) for the client's page,
// SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET + PUBLIC_URL for the Slack console, DEMO_SLACK_USER_ID for the manager's
// Slack user. Ctrl+C stops everything.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { hostPage } from '../adapters/inapp/widget/host-page';
import { mintWidgetToken } from '../adapters/inapp/widget/token';
import { WEEKDAYS } from '../src/core/model';

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'data-demo');
const MARK = path.join(DIR, '.switchboard-demo');
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 3000);
const PAGE_PORT = Number(process.env.DEMO_PAGE_PORT ?? PORT + 1);
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const ACCOUNT = { accountId: 'acme', accountName: 'Acme Ltd', userId: 'ann', name: 'Ann Lee', email: 'ann@acme.example' };

async function freshDir() {
  // Only a directory this script made is ever removed, and never under a demo that is still running.
  if (fs.existsSync(DIR)) {
    if (!fs.existsSync(MARK)) throw new Error(`${DIR} exists and is not a demo directory; move it away first`);
    if (await lockfile.check(DIR, { lockfilePath: path.join(DIR, '.switchboard.lock'), stale: 15_000, realpath: false }))
      throw new Error('another npm run demo is running on ./data-demo; stop it first (Ctrl+C in its terminal)');
    fs.rmSync(DIR, { recursive: true, force: true });
  }
  fs.mkdirSync(DIR, { mode: 0o700 });
  fs.writeFileSync(MARK, 'made by npm run demo; removed by the next run\n');
}

function startService(env: Record<string, string>): Promise<{ url: string; stop: () => void; exited: Promise<number> }> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (!m || !/manager console: .*\n/.test(out)) return;
      child.stdout!.off('data', onData);
      child.stdout!.pipe(process.stdout);
      process.stdout.write(out.replace(/^/gm, '  '));
      resolve({ url: m[1].replace('localhost', HOST), stop: () => child.kill('SIGTERM'), exited });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`the service exited with ${code} before it started:\n${out}`)));
  });
}

async function api(url: string, token: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function servePage(secret: string, serviceUrl: string): Promise<http.Server> {
  const token = () => mintWidgetToken(secret, { ...ACCOUNT, exp: Math.floor(Date.now() / 1000) + 3600 });
  const server = http.createServer((req, res) => {
    const at = new URL(req.url ?? '/', 'http://page').pathname;
    if (at === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(hostPage({ serviceUrl, token: token(), tokenUrl: '/token', userName: ACCOUNT.name }));
    } else if (at === '/token') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ token: token() }));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(PAGE_PORT, HOST, () => resolve(server)));
}

async function main() {
  await freshDir();
  const secret = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('base64url');
  const pageOrigin = `http://${HOST}:${PAGE_PORT}`;
  const slack = !!(process.env.SLACK_BOT_TOKEN && process.env.SLACK_SIGNING_SECRET);
  console.log('Starting Switchboard on a fresh embedded database in ./data-demo …');
  const svc = await startService({
    DATA_DIR: DIR, HOST, PORT: String(PORT), INAPP_SECRET: secret, ADMIN_TOKEN: adminToken, WIDGET_ORIGINS: pageOrigin, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const stopAll = () => svc.stop();
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  let page: http.Server | null = null;
  try {
    const v1 = `${svc.url}/api/v1`;
    const manager = await api(`${v1}/managers`, adminToken, 'POST', {
      name: 'Maria Petrova', email: 'maria@vendor.example', timeZone: ZONE, isDefault: true,
      ...(process.env.DEMO_SLACK_USER_ID ? { slackUserId: process.env.DEMO_SLACK_USER_ID } : {}),
    });
    const allDay = [['00:00', '24:00']];
    await api(`${v1}/clients`, adminToken, 'POST', {
      name: ACCOUNT.accountName, tier: 'premium', managerId: manager.id, inappAccountId: ACCOUNT.accountId,
      calendar: { zone: ZONE, week: Object.fromEntries(WEEKDAYS.map((d) => [d, allDay])), holidays: [] },
    });
    page = await servePage(secret, svc.url);
    const answer = JSON.stringify({ text: 'Hi Ann, Maria here: the tracking domain\'s certificate expired, renewing it now.', managerId: manager.id });
    console.log(`
Switchboard demo is running (Ctrl+C stops it; the next npm run demo starts from scratch).

  You are the client:   ${pageOrigin}/
      Acme Ltd's app with the support chat. Write e.g. "Conversions dropped to zero since 9:12!"
  You are the manager:  ${svc.url}/board
      the SLA board; sign in with the admin token
  Admin token:          ${adminToken}

  Answer the first case (numbers start at 1001) as the manager, and watch the reply arrive in the chat:
    curl -s -X POST ${v1}/cases/1001/reply -H 'authorization: Bearer ${adminToken}' \\
      -H 'content-type: application/json' -d '${answer.replaceAll("'", "'\\''")}'
  Or post an ETA (…/cases/1001/eta -d '{"when":"2h"}'), ask for details (…/needinfo), resolve (…/resolve).
  Client ${ACCOUNT.accountName}: premium, manager Maria Petrova, business hours round the clock in ${ZONE}.
`);
    if (slack)
      console.log(`  Slack is configured: Maria's cases go to the client's private channel in your workspace${process.env.DEMO_SLACK_USER_ID ? '' : ' (set DEMO_SLACK_USER_ID to her Slack user id so she is mentioned and can answer)'}.
  Slack must reach ${process.env.PUBLIC_URL ?? 'the service over HTTPS: set PUBLIC_URL (a tunnel works)'}; request URLs and the app manifest: npm run slack:manifest, docs/slack-setup.md.
  Answer in the case's thread; the client sees it in the chat.
`);
    else console.log(`  Managers can answer from Slack too: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and PUBLIC_URL (docs/slack-setup.md).\n`);
  } catch (err) {
    svc.stop();
    throw err;
  }
  const code = await svc.exited;
  page?.close();
  process.exit(code);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
