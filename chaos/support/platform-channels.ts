// Every registered channel as a chaos case drives it: several conversations per channel (each a client made through
// the admin API and tied to its chat / account / shared channel / address), a client message as the platform's
// native delivery that can be delivered any number of times (a redelivery is the same delivery again), and what the
// platform took back for each conversation, decoded as the parity harnesses decode it.
//
// Built on the parity harnesses (adapters/<name>/harness.ts: their fakes, signed deliveries and decoders). Email has no
// webhook and its harness runs one receive pass per mail, so email is driven natively: mail delivered into a real
// Dovecot over LMTP (a copy per delivery, as a mail server that retries would), the mailbox read by the adapter, and
// the SMTP sink. With `proxied`, each platform sits behind an outage proxy (./platforms.ts).
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { CHANNEL_MODULES } from '../../adapters';
import botframeworkHarness, { decodeActivity } from '../../adapters/botframework/harness';
import type { EmailInstance } from '../../adapters/email';
import { decodeMail } from '../../adapters/email/harness';
import { rawMail, SUPPORT } from '../../adapters/email/test-support';
import slackHarness, { decodePost } from '../../adapters/slack/harness';
import { envelope, personMessage, type Person } from '../../adapters/slack/fixtures';
import { chatScope } from '../../adapters/telegram/address';
import { messageUpdate, textMessage, type TgUserShape } from '../../adapters/telegram/fixtures';
import telegramHarness, { decodeSend } from '../../adapters/telegram/harness';
import type { ChannelKind } from '../../src/core/model';
import { CallbackServer } from '../../test/support/callback-server';
import { type Dovecot, startDovecot } from '../../test/support/dovecot';
import { SmtpSink } from '../../test/support/smtp-sink';
import type { TestService } from '../../test/support/service';
import { OutageProxy, PLATFORM_FAILURES, SmtpOutageProxy } from './platforms';

/** One message the platform took for a conversation: the platform's id for it, and its text as the client reads it. */
export interface Taken {
  key: string;
  text: string;
}

/** What the platform got back for one delivery: the HTTP status, and our outcome where the answer names it. */
export interface Answer {
  status: number;
  outcome: string | null;
}

/** A client message as its platform delivers it; `deliver` may be called any number of times (a redelivery). */
export interface ClientMessage {
  text: string;
  /** Delivers it once more; `copy` 0 is the first delivery. Email's LMTP answers 200 for a mail it took. */
  deliver(copy: number): Promise<Answer>;
}

export interface Conversation {
  channel: ChannelKind;
  label: string;
  clientId: string;
  /** The client's next message in this conversation (a follow-up continues its thread where the platform has one). */
  next(text: string): ClientMessage;
  /** What the platform took for this conversation, in arrival order. */
  received(): Taken[];
}

export interface ChannelDriver {
  name: ChannelKind;
  /** Starts the platform's fakes (behind an outage proxy when `proxied`); the environment that enables the channel. */
  prepare(): Promise<Record<string, string>>;
  start(t: TestService): void;
  /** A new client of `managerId`, tied to a conversation of its own on this platform. */
  open(managerId: string, label: string): Promise<Conversation>;
  /** Lets the platform hand over what was delivered (email: the mailbox is read, by two passes at once); the outcomes
   *  of what that handed to core, where it is not the deliveries' answers that say. */
  settle(): Promise<string[]>;
  /** The proxy standing in front of the platform, when `proxied`. */
  readonly proxy: OutageProxy | SmtpOutageProxy | null;
  stop(): Promise<void>;
}

const ok = (status: number, what: string) => {
  if (status !== 200 && status !== 201) throw new Error(`${what}: ${status}`);
};

async function newClient(t: TestService, managerId: string, name: string, over: Record<string, unknown> = {}): Promise<string> {
  const c = await t.admin('POST', '/api/v1/clients', { name, tier: 'premium', managerId, ...over });
  ok(c.status, `client ${name}: ${c.text}`);
  return c.json.id as string;
}

async function link(t: TestService, clientId: string, channel: string, key: string): Promise<void> {
  const l = await t.admin('POST', `/api/v1/clients/${clientId}/links`, { channel, key });
  ok(l.status, `link ${channel} ${key}: ${l.text}`);
}

// ---- in-app: signed POSTs from the vendor's app; our callbacks at a callback server of the driver's own -----------

function inapp(proxied: boolean): ChannelDriver {
  const callback = new CallbackServer();
  let proxy: OutageProxy | null = null;
  let t: TestService;
  return {
    name: 'inapp',
    get proxy() {
      return proxy;
    },
    async prepare() {
      await callback.start();
      if (!proxied) return { INAPP_CALLBACK_URL: callback.url };
      proxy = await new OutageProxy(callback.url, PLATFORM_FAILURES.inapp).start();
      return { INAPP_CALLBACK_URL: `${proxy.url}${new URL(callback.url).pathname}` };
    },
    start: (s) => void (t = s),
    async open(managerId, label) {
      const account = `chaos-${label}-${randomBytes(3).toString('hex')}`;
      const clientId = await newClient(t, managerId, `In-app ${label}`, { inappAccountId: account });
      return {
        channel: 'inapp', label, clientId,
        next(text) {
          const body = { id: randomUUID(), account: { id: account, name: `In-app ${label}` }, user: { id: `${account}-user`, name: 'Pat Client' }, text };
          // The vendor's app signs each attempt anew (a fresh timestamp), the body and its id stay the same.
          return { text, deliver: async () => {
            const res = await t.inapp(body);
            return { status: res.status, outcome: res.json?.status ?? null };
          } };
        },
        received: () => callback.received.filter((r) => r.body.account?.id === account).map((r) => ({ key: String(r.body.id), text: String(r.body.text) })),
      };
    },
    settle: async () => [],
    async stop() {
      await proxy?.stop();
      await callback.stop();
    },
  };
}

// ---- Telegram: updates POSTed to our webhook with the secret; sendMessage calls read back from the fake Bot API ----

function telegram(proxied: boolean): ChannelDriver {
  const h = telegramHarness();
  let proxy: OutageProxy | null = null;
  let t: TestService;
  return {
    name: 'telegram',
    get proxy() {
      return proxy;
    },
    async prepare() {
      const env = await h.prepare();
      if (!proxied) return env;
      proxy = await new OutageProxy(h.fake.url, PLATFORM_FAILURES.telegram).start();
      return { ...env, TELEGRAM_API_ROOT: proxy.url };
    },
    start(s) {
      t = s;
      void h.start(s);
    },
    async open(managerId, label) {
      const id = randomInt(100_000_000, 2_000_000_000);
      const user: TgUserShape = { id, is_bot: false, first_name: 'Pat', last_name: `Chaos ${label}`, username: `pat_${id}` };
      const clientId = await newClient(t, managerId, `Telegram ${label}`);
      await link(t, clientId, 'telegram', chatScope(String(h.fake.botId), id));
      return {
        channel: 'telegram', label, clientId,
        next(text) {
          // One update, one update_id: Telegram delivers the very same update again until it gets a 2xx.
          const update = messageUpdate(textMessage(user, text));
          return { text, deliver: () => h.deliver(update) };
        },
        received: () => h.fake.sentTo(id).map((c) => ({ key: String(c.result?.message_id), text: decodeSend(c).text })),
      };
    },
    settle: async () => [],
    async stop() {
      await proxy?.stop();
      await h.stop();
    },
  };
}

// ---- Bot Framework: activities with a fresh channel token each time; the fake connector's activities read back ----

function botframework(proxied: boolean): ChannelDriver {
  const h = botframeworkHarness();
  let proxy: OutageProxy | null = null;
  let t: TestService;
  /** The connector replies go to: the activity's serviceUrl, which the token's serviceurl claim must name too. */
  const serviceUrl = () => (proxy ? `${proxy.url}/` : h.fake.serviceUrl);
  return {
    name: 'botframework',
    get proxy() {
      return proxy;
    },
    async prepare() {
      const env = await h.prepare();
      if (proxied) proxy = await new OutageProxy(h.fake.serviceUrl, PLATFORM_FAILURES.botframework).start();
      return env;
    },
    start(s) {
      t = s;
      void h.start(s);
    },
    async open(managerId, label) {
      const conversationId = `a:1chaos${randomUUID().replaceAll('-', '')}`;
      const from = { id: `29:1chaos-${randomUUID()}`, name: `Pat Chaos ${label}`, aadObjectId: randomUUID() };
      const clientId = await newClient(t, managerId, `Teams ${label}`);
      await link(t, clientId, 'botframework', conversationId);
      return {
        channel: 'botframework', label, clientId,
        next(text) {
          const base = h.activity('teams-personal-message', { id: `1${Date.now()}${randomInt(1e6)}`, text, attachments: [], from });
          const activity = { ...base, serviceUrl: serviceUrl(), conversation: { ...(base.conversation as object), id: conversationId } };
          // The channel sends the same activity (same id) again, each time with a token of its own.
          return { text, deliver: () => h.deliver(activity, { authorization: `Bearer ${h.fake.token({ serviceurl: serviceUrl() })}` }) };
        },
        received: () => h.fake.activities.filter((a) => a.conversationId === conversationId).map((a) => ({ key: a.id, text: decodeActivity(a.body).text })),
      };
    },
    settle: async () => [],
    async stop() {
      await proxy?.stop();
      await h.stop();
    },
  };
}

// ---- Slack Connect: signed Events API posts in a shared channel (follow-ups in the first post's thread) ------------

function slack(proxied: boolean): ChannelDriver {
  const h = slackHarness();
  let proxy: OutageProxy | null = null;
  let t: TestService;
  return {
    name: 'slack',
    get proxy() {
      return proxy;
    },
    async prepare() {
      const env = await h.prepare();
      if (!proxied) return env;
      // The console shares the Web API client: it is behind the same proxy, as it would be behind the same Slack.
      proxy = await new OutageProxy(h.fake.url, PLATFORM_FAILURES.slack).start();
      return { ...env, SLACK_API_URL: `${proxy.url}/api/` };
    },
    start(s) {
      t = s;
      void h.start(s);
    },
    async open(managerId, label) {
      const n = randomInt(100_000, 999_999);
      const channelId = `C0CHAOS${n}`;
      const person: Person = { id: `U0EXT${n}`, team: `T0CLIENT${n}`, name: `Pat Chaos ${label}` };
      const clientId = await newClient(t, managerId, `Slack ${label}`, { slackConnectChannelId: channelId });
      let root: string | null = null;
      return {
        channel: 'slack', label, clientId,
        next(text) {
          const event = personMessage(person, { channel: channelId, text, external: true, ...(root ? { threadTs: root } : {}) });
          root ??= event.ts;
          const raw = JSON.stringify(envelope(event, { at: t.clock.now() }));
          // Slack retries with the same event_id and says which attempt it is.
          return {
            text,
            deliver: (copy) => h.deliver('events', raw, copy ? { 'x-slack-retry-num': String(Math.min(copy, 3)), 'x-slack-retry-reason': 'http_timeout' } : {}),
          };
        },
        received: () =>
          h.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === channelId && c.result).map((c) => ({ key: String(c.result!.ts), text: decodePost(c).text })),
      };
    },
    settle: async () => [],
    async stop() {
      await proxy?.stop();
      await h.stop();
    },
  };
}

// ---- email: mail into a real Dovecot over LMTP, read by the adapter; our mail taken by the SMTP sink ---------------

function email(proxied: boolean): ChannelDriver {
  const sink = new SmtpSink();
  let dc: Dovecot | null = null;
  let proxy: SmtpOutageProxy | null = null;
  let t: TestService;
  const instance = () => t.channelInstances.find((c) => c.name === 'email')!.instance as EmailInstance;
  return {
    name: 'email',
    get proxy() {
      return proxy;
    },
    async prepare() {
      await sink.start();
      const started = await startDovecot({ users: [SUPPORT] });
      if (!started.available) throw new Error(`email chaos needs Dovecot: ${started.skipReason}`);
      dc = started;
      if (proxied) proxy = await new SmtpOutageProxy(sink.port).start();
      return {
        IMAP_HOST: dc.imap.host, IMAP_PORT: String(dc.imap.port), IMAP_USER: SUPPORT, IMAP_PASSWORD: dc.users[0].password, IMAP_TLS: 'false',
        SMTP_HOST: sink.host, SMTP_PORT: String(proxy ? proxy.port : sink.port), SMTP_TLS: 'false',
        EMAIL_FROM: `Switchboard Support <${SUPPORT}>`,
      };
    },
    start: (s) => void (t = s),
    async open(managerId, label) {
      const tag = randomBytes(4).toString('hex');
      const address = `pat.${label}.${tag}@client-${tag}.example`;
      const clientId = await newClient(t, managerId, `Mail ${label}`);
      await link(t, clientId, 'email', address);
      let first: { messageId: string; subject: string } | null = null;
      return {
        channel: 'email', label, clientId,
        next(text) {
          // A follow-up answers the client's own first mail (In-Reply-To / References), as a reply-all would. The first
          // mail's subject is its text's opening words, so the stored text is the text (no subject line added).
          const subject = first ? `Re: ${first.subject}` : text.split(':')[0];
          const m = rawMail({ from: address, name: `Pat ${label}`, subject, body: text, ...(first ? { inReplyTo: first.messageId, references: [first.messageId] } : {}) });
          first ??= { messageId: m.messageId, subject };
          // Every delivery is a copy of the mail in the mailbox (the same Message-ID), as a mail server's retry makes.
          return { text, deliver: async () => (await dc!.deliver(m.raw, SUPPORT), { status: 200, outcome: null }) };
        },
        received: () => sink.messages.filter((m) => m.to.includes(address)).map((m) => ({ key: String(m.parsed.messageId), text: decodeMail(m.parsed).text })),
      };
    },
    async settle() {
      // Two readers at once over the same new mail (a receiver lease changing hands mid-pass would look like this).
      const passes = [...(await Promise.all([instance().receiveOnce(), instance().receiveOnce()])), await instance().receiveOnce()];
      return passes.flat().map((i) => (i.result.kind === 'ingested' ? i.result.outcome.status : i.result.kind));
    },
    async stop() {
      await proxy?.stop();
      await Promise.all([dc?.stop(), sink.stop()]);
    },
  };
}

const DRIVERS: Record<ChannelKind, (proxied: boolean) => ChannelDriver> = { inapp, telegram, botframework, slack, email };

/** A driver for every channel in the registry (adapters/index.ts); a channel added there without one fails here. */
export function channelDrivers(opts: { proxied: boolean }): ChannelDriver[] {
  return CHANNEL_MODULES.map((m) => {
    const make = DRIVERS[m.name];
    if (!make) throw new Error(`chaos/support/platform-channels.ts has no driver for the ${m.name} channel`);
    return make(opts.proxied);
  });
}

/** The texts of a client's inbound messages, as stored on its cases (what a manager reads). */
export async function storedInbound(t: TestService, clientId: string): Promise<string[]> {
  const list = await t.admin('GET', `/api/v1/cases?clientId=${clientId}&status=open,waiting_on_client,resolved&limit=1000`);
  ok(list.status, `cases of ${clientId}: ${list.text}`);
  const texts: string[] = [];
  for (const c of list.json.cases as { number: number }[]) {
    const kase = await t.admin('GET', `/api/v1/cases/${c.number}`);
    for (const m of kase.json.messages as { direction: string; text: string }[]) if (m.direction === 'inbound') texts.push(m.text);
  }
  return texts;
}

export const isAcknowledgement = (text: string) => /^We (received your request|reopened case)/.test(text);
