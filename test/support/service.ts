// Starts the real service (real database, real HTTP app via inject, real in-app adapter posting to a local
// callback server) on an injected clock. Background loops are not started: tests run drain/tick passes
// explicitly so every step is deterministic.
import { signedHeaders } from '../../adapters/inapp';
import type { ConsoleNotice, Logger } from '../../src/core/ports';
import type { DrainStats } from '../../src/core/delivery';
import type { DeliveryPolicy } from '../../src/core/effects';
import type { JobOptions } from '../../src/jobs/runner';
import { LogConsole } from '../../src/console/log-console';
import { createService, type Service } from '../../src/services';
import { CallbackServer } from './callback-server';
import { FixedClock } from './clock';
import { openTestDatabase, type TestDatabase } from './db';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const INAPP_SECRET = 'test-inapp-secret-0123456789';

export class MemoryLogger implements Logger {
  readonly entries: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string) { this.entries.push({ level: 'debug', obj, msg }); }
  info(obj: object, msg?: string) { this.entries.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string) { this.entries.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string) { this.entries.push({ level: 'error', obj, msg }); }
  text(): string {
    return this.entries.map((e) => `${e.level} ${e.msg ?? ''} ${JSON.stringify(e.obj)}`).join('\n');
  }
}

export interface TestService extends Service {
  db: TestDatabase;
  clock: FixedClock;
  log: MemoryLogger;
  callback: CallbackServer;
  notices: ConsoleNotice[];
  inapp(body: unknown, opts?: { secret?: string; at?: Date; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; json: any }>;
  admin(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  drain(): Promise<DrainStats>;
  tick(): Promise<number>;
  close(): Promise<void>;
}

export const SLACK_SIGNING_SECRET = 'test-slack-signing-secret-0123456789';

export async function startTestService(
  opts: {
    start?: string; db?: TestDatabase; callback?: CallbackServer; slack?: { apiUrl: string; leadChannel?: string };
    jobs?: Partial<JobOptions>; delivery?: Partial<DeliveryPolicy>;
    /** Environment for channel modules (e.g. TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT pointing at a fake). */
    env?: Record<string, string>;
  } = {},
): Promise<TestService> {
  const db = opts.db ?? (await openTestDatabase());
  const callback = opts.callback ?? (await new CallbackServer().start());
  // Monday 23 Nov 2026, 11:00 in Moscow: inside the default business hours.
  const clock = new FixedClock(opts.start ?? '2026-11-23T08:00:00Z');
  const log = new MemoryLogger();
  const console = new LogConsole(log, 1000);
  // SLACK_* in the channel environment (a parity harness's) configure the console too, as they do in main.ts.
  const env = opts.env ?? {};
  const slack = opts.slack
    ? { botToken: 'xoxb-test-token', signingSecret: SLACK_SIGNING_SECRET, apiUrl: opts.slack.apiUrl, leadChannel: opts.slack.leadChannel }
    : env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET
      ? { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, apiUrl: env.SLACK_API_URL, leadChannel: env.SLACK_LEAD_CHANNEL }
      : undefined;
  const svc = await createService({
    database: db, log, adminToken: ADMIN_TOKEN, clock,
    // With Slack configured the Slack console is the console of record; otherwise a log console tests can read.
    console: slack ? undefined : console,
    slack,
    channelEnv: { INAPP_SECRET, INAPP_CALLBACK_URL: callback.url, ...env },
    publicUrl: env.PUBLIC_URL,
    delivery: { retryBaseMs: 1000, retryMaxMs: 60_000, ...opts.delivery },
    jobs: opts.jobs,
  });
  await svc.app.ready();
  await svc.startChannels();
  const t: TestService = {
    ...svc, db, clock, log, callback, notices: console.delivered,
    async inapp(body, o = {}) {
      const raw = o.raw ?? JSON.stringify(body);
      const res = await svc.app.inject({
        method: 'POST', url: '/webhooks/inapp', payload: raw,
        headers: {
          'content-type': 'application/json',
          ...signedHeaders(o.secret ?? INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body: raw }, o.at ?? clock.now()),
          ...o.headers,
        },
      });
      return { status: res.statusCode, json: safeJson(res.body) };
    },
    async admin(method, url, body) {
      const res = await svc.app.inject({
        method, url, payload: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      });
      return { status: res.statusCode, json: safeJson(res.body), text: res.body };
    },
    async drain() {
      const total: DrainStats = { sent: 0, retried: 0, failed: 0 };
      for (let i = 0; i < 20; i++) {
        const s = await svc.jobs.drainOnce();
        total.sent += s.sent; total.retried += s.retried; total.failed += s.failed;
        if (!s.sent && !s.retried && !s.failed) break;
      }
      return total;
    },
    tick: () => svc.jobs.tick(),
    async close() {
      await svc.stopBackground();
      await svc.closeChannels();
      await svc.app.close();
      if (!opts.callback) await callback.stop();
      if (!opts.db) await db.close();
    },
  };
  return t;
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

let seq = 0;
/** A valid in-app message; override any field. */
export function inappMessage(over: Record<string, unknown> = {}) {
  seq++;
  return {
    id: `msg-${process.pid}-${seq}-${Math.random().toString(36).slice(2, 6)}`,
    account: { id: 'acct-1', name: 'Acme Ltd' },
    user: { id: 'user-1', name: 'Ann Client', email: 'ann@acme.test' },
    text: 'Hello, how do I set up postbacks?',
    ...over,
  };
}
