// Test helpers for the widget's HTTP API: a user with a token, sending as the widget does and reading the stream
// as it does (fetch with the Authorization header, SSE parsed from the body). Also the parity harness: the in-app
// parity steps driven through the widget instead of the webhook.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { ChannelHarness, NeutralOutbound } from '../../../test/parity/harness';
import { INAPP_SECRET, type TestService } from '../../../test/support/service';
import { INAPP_CAPABILITIES } from '../index';
import { mintWidgetToken, type WidgetClaims } from './token';

export interface SseEvent {
  type: string;
  id: string | null;
  data: any;
}

export function tokenFor(t: TestService, claims: Partial<WidgetClaims> & { accountId: string }, ttlSeconds = 3600, secret = INAPP_SECRET): string {
  return mintWidgetToken(secret, { userId: 'u-1', name: 'Ann Client', exp: Math.floor(t.clock.now().getTime() / 1000) + ttlSeconds, ...claims });
}

/** One request on a connection of its own (no pooled keep-alive sockets left behind to hold a closing server open). */
function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string }): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, resolve);
    req.on('error', reject);
    req.end(o.body);
  });
}

async function readJson(res: http.IncomingMessage): Promise<any> {
  let text = '';
  for await (const chunk of res) text += chunk;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export class WidgetStreamReader {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  private res: http.IncomingMessage | null = null;
  private waiters: (() => void)[] = [];

  async open(url: string, headers: Record<string, string>): Promise<this> {
    const res = await request(url, { headers });
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    if (this.status !== 200) {
      this.ended = true;
      this.events.push({ type: 'http-error', id: null, data: await readJson(res) });
      return this;
    }
    void this.read(res).catch(() => undefined).finally(() => {
      this.ended = true;
      this.notify();
    });
    return this;
  }

  private async read(body: AsyncIterable<Buffer>) {
    const decoder = new TextDecoder();
    let buf = '';
    let ev: { type: string; id: string | null; data: string[] } = { type: 'message', id: null, data: [] };
    for await (const chunk of body) {
      buf += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === '') {
          if (ev.data.length) this.events.push({ type: ev.type, id: ev.id, data: JSON.parse(ev.data.join('\n')) });
          ev = { type: 'message', id: null, data: [] };
          this.notify();
        } else if (!line.startsWith(':')) {
          const c = line.indexOf(':');
          const field = line.slice(0, c);
          const v = line.slice(c + 1).replace(/^ /, '');
          if (field === 'event') ev.type = v;
          else if (field === 'id') ev.id = v;
          else if (field === 'data') ev.data.push(v);
        }
      }
    }
  }

  private notify() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  messages(): any[] {
    return this.events.filter((e) => e.type === 'message').map((e) => e.data);
  }

  async waitFor<T>(find: (s: this) => T | undefined | false, timeoutMs = 5000, what = 'a stream event'): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = find(this);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended before ${what}: ${JSON.stringify(this.events).slice(0, 1000)}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms: ${JSON.stringify(this.events).slice(0, 1000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  close() {
    this.res?.destroy();
  }
}

export class WidgetUser {
  constructor(readonly base: string, public token: string, readonly origin?: string) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.token}`, ...(this.origin ? { origin: this.origin } : {}), ...extra };
  }

  async send(text: string, o: { id?: string; urgency?: string } = {}): Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }> {
    const res = await request(`${this.base}/widget/v1/messages`, {
      method: 'POST', headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ id: o.id ?? randomUUID(), text, ...(o.urgency ? { urgency: o.urgency } : {}) }),
    });
    return { status: res.statusCode ?? 0, json: await readJson(res), headers: res.headers };
  }

  stream(lastEventId?: number): Promise<WidgetStreamReader> {
    return new WidgetStreamReader().open(`${this.base}/widget/v1/stream`, this.headers(lastEventId ? { 'last-event-id': String(lastEventId) } : {}));
  }
}

/** The in-app parity steps through the widget: what the client received is what its stream showed. */
export function widgetHarness(base: () => string): ChannelHarness & { user(): WidgetUser; settle(outbound: number): Promise<void> } {
  const account = `acct-widget-${randomUUID().slice(0, 8)}`;
  let t: TestService;
  let user: WidgetUser;
  let reader: WidgetStreamReader;
  let last: { text: string; id: string; urgency?: string } | null = null;
  const mint = () => tokenFor(t, { accountId: account, accountName: 'Parity Co', userId: 'parity-user', name: 'Pat Client' });
  const deliver = async (text: string, o: { id?: string; urgency?: string } = {}) => {
    last = { text, id: o.id ?? randomUUID(), urgency: o.urgency };
    // The scenarios move the service's clock by days: the page would have minted a fresh token meanwhile.
    user.token = mint();
    const res = await user.send(text, last);
    return { status: res.status, outcome: res.json?.status ?? null };
  };
  return {
    channel: 'inapp',
    capabilities: INAPP_CAPABILITIES,
    user: () => user,
    // Waits until the stream has shown `outbound` messages from the service. A message reaches the read-back once
    // every older transaction has finished (other databases' too, on a shared server), so it may take a poll or two.
    // An acknowledgement read before its delivery noted the buttons gets them in a "choices" event a moment later;
    // one that offers none gets nothing, so wait a little for it.
    settle: async (outbound: number) => {
      await reader.waitFor((r) => r.messages().filter((m) => m.direction === 'outbound').length >= outbound, 10_000, `${outbound} messages from the service`);
      const ack = reader.messages().filter((m) => m.kind === 'ack').at(-1);
      if (ack && !ack.choices) await reader.waitFor((r) => r.events.some((e) => e.type === 'choices' && e.data.seq === ack.seq), 1000).catch(() => undefined);
    },
    prepare: async () => ({}),
    start: async (service) => {
      t = service;
      user = new WidgetUser(base(), mint());
      reader = await user.stream();
    },
    link: async (svc, clientId) => void expect((await svc.admin('PATCH', `/api/v1/clients/${clientId}`, { inappAccountId: account })).status).toBe(200),
    clientSays: (text, opts = {}) => deliver(text, { urgency: opts.urgency }),
    choose: (value) => deliver(value),
    redeliverLast: () => deliver(last!.text, last!),
    received: (): NeutralOutbound[] => {
      const choices = new Map(reader.events.filter((e) => e.type === 'choices').map((e) => [e.data.seq, e.data.choices]));
      return reader.messages()
        .filter((m) => m.direction === 'outbound')
        // Read-back names automatic messages' author "Support"; the callback leaves it out.
        .map((m) => ({ text: m.text, author: m.author?.name === 'Support' ? null : (m.author?.name ?? null), choices: (m.choices ?? choices.get(m.seq) ?? []).map((c: { value: string }) => c.value) }));
    },
    stop: async () => reader?.close(),
  };
}
