// End-to-end latency with the platforms answering at once (local fakes): how long until what a person does reaches
// the other side. The service runs with its background work (commit wake-ups, LISTEN) in a child process on
// PostgreSQL; the fakes and the load run here, and both sides' timestamps come from this process's clock.
//  - client message → acknowledgement at the vendor's callback
//  - client message → its post in the manager's Slack case thread (a new case, and a follow-up on an open one)
//  - manager's Slack thread reply → delivery to the client
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../adapters/inapp';
import { CallbackServer } from '../test/support/callback-server';
import { FakeSlack } from '../test/support/fake-slack';
import { slackHeaders } from '../test/support/slack-signing';
import { dropDatabase, freshDatabase, pct, sleep, startServer, stopServer } from './lib';

const SECRET = 'bench-inapp-secret-0123456789';
const SLACK_SECRET = 'bench-slack-signing-secret-0123456789';
const ADMIN = 'bench-admin-token-0123456789';
const PORT = 38420;
const BASE = `http://127.0.0.1:${PORT}`;

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return res.json() as Promise<any>;
}

async function clientSays(account: string, text: string) {
  const body = JSON.stringify({ id: randomUUID(), account: { id: account }, user: { id: `${account}-u`, name: 'Bench Client' }, text });
  const res = await fetch(`${BASE}/webhooks/inapp`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signedHeaders(SECRET, { method: 'POST', path: '/webhooks/inapp', body }, new Date()) } });
  return res.json() as Promise<any>;
}

async function waitFor<T>(what: string, find: () => T | undefined, ms = 10_000): Promise<T> {
  for (const until = Date.now() + ms; ; await sleep(2)) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`no ${what} within ${ms} ms`);
  }
}

export async function benchLatency(n = Number(process.env.BENCH_LATENCY_N ?? 200)) {
  const callback = await new CallbackServer().start();
  const slack = await new FakeSlack().start();
  const url = await freshDatabase('sb_bench_latency');
  const child = await startServer('server-live.ts', {
    BENCH_DB_URL: url, PORT: String(PORT),
    BENCH_CHANNEL_ENV: JSON.stringify({ INAPP_SECRET: SECRET, INAPP_CALLBACK_URL: callback.url, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SLACK_SECRET, SLACK_API_URL: slack.url }),
  });
  const ack: number[] = [];
  const firstPost: number[] = [];
  const followPost: number[] = [];
  const reply: number[] = [];
  try {
    const manager = await admin('POST', '/api/v1/managers', { name: 'Bench Manager', slackUserId: 'UBENCHMGR' });
    const accounts = Array.from({ length: n }, (_, i) => `lat-${i}`);
    for (const a of accounts) await admin('POST', '/api/v1/clients', { name: `Client ${a}`, tier: 'premium', managerId: manager.id, inappAccountId: a });
    const posted = (token: string) => slack.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts && String(c.args.text).includes(token));
    // A new case per account, one at a time (what a person notices is the delay, not the throughput).
    for (const a of accounts) {
      const token = randomUUID();
      const t0 = Date.now();
      await clientSays(a, `Bench question ${token}`);
      ack.push((await waitFor('acknowledgement', () => callback.received.find((r) => r.body.account?.id === a && r.body.kind === 'ack'))).at - t0);
      firstPost.push((await waitFor('thread post', () => posted(token))).at - t0);
    }
    for (const a of accounts) {
      const token = randomUUID();
      const t0 = Date.now();
      await clientSays(a, `Follow-up ${token}`);
      followPost.push((await waitFor('thread post', () => posted(token))).at - t0);
    }
    // The manager answers in each case thread.
    const cases = (await admin('GET', '/api/v1/cases?limit=1000')).cases as { id: string; number: number }[];
    for (const c of cases) {
      const card = slack.calls.find((x) => x.method === 'chat.postMessage' && !x.args.thread_ts && String(x.args.text).startsWith(`Case #${c.number} `));
      // The card's ts is the case thread.
      const threadTs = card?.result?.ts as string | undefined;
      if (!card || !threadTs) continue;
      const token = randomUUID();
      const body = JSON.stringify({
        token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: `Ev${randomUUID().replace(/-/g, '')}`, event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel: card.args.channel, channel_type: 'group', user: 'UBENCHMGR', text: `Answer ${token}`, ts: `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`, thread_ts: threadTs },
      });
      const t0 = Date.now();
      await fetch(`${BASE}/webhooks/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...slackHeaders(SLACK_SECRET, body, new Date()) } });
      reply.push((await waitFor('reply delivery', () => callback.received.find((r) => r.body.kind === 'reply' && String(r.body.text).includes(token)))).at - t0);
    }
  } finally {
    await stopServer(child);
    await callback.stop();
    await slack.stop();
    await dropDatabase('sb_bench_latency');
  }
  const row = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });
  return { ack: row(ack), firstPost: row(firstPost), followPost: row(followPost), reply: row(reply) };
}
