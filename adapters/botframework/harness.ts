// Parity harness for Bot Framework: the client is a Teams user in a personal chat with the bot. Native deliveries are
// activities shaped as the Teams documentation shows them (fixtures/), signed by the fake channel's keys and POSTed to
// our webhook; what we send is read back from the fake Bot Connector and decoded: markdown undone (and checked: no
// stray markup), the author's bold line split off, the Adaptive Card's (or suggested actions') values as choices.
import { randomUUID } from 'node:crypto';
import type { ChannelHarness, DeliveryAnswer, NeutralOutbound } from '../../test/parity/harness';
import { startFakeBotFramework, type FakeBotFramework, type RecordedActivity } from '../../test/support/fake-botframework';
import type { TestService } from '../../test/support/service';
import { ADAPTIVE_CARD, CHOICE_KEY } from './cards';
import { loadFixture, type FixtureActivity, type FixtureName } from './fixtures';
import { flavorOf, type Flavor } from './format';
import { BOTFRAMEWORK_CAPABILITIES } from './index';
import { WEBHOOK_PATH } from './routes';

export interface BotFrameworkHarness extends ChannelHarness {
  readonly fake: FakeBotFramework;
  readonly appId: string;
  readonly tenantId: string;
  /** The Teams personal chat of the harness's client. */
  readonly conversationId: string;
  /** A documented activity with this harness's bot, tenant, conversation and client filled in. */
  activity(name: FixtureName, over?: Record<string, unknown>): FixtureActivity;
  /** POSTs an activity to the webhook as the channel would: with a fresh channel token unless `authorization` is given. */
  deliver(activity: unknown, opts?: { authorization?: string | null }): Promise<DeliveryAnswer & { json: any }>;
  /** What the fake connector received in this harness's conversation. */
  sent(): RecordedActivity[];
}

export default function botframeworkHarness(): BotFrameworkHarness {
  const appId = randomUUID();
  const tenantId = randomUUID();
  const conversationId = `a:1parity${randomUUID().replaceAll('-', '')}`;
  const user = { id: `29:1parity-${randomUUID()}`, name: 'Pat Client', aadObjectId: randomUUID() };
  let fake: FakeBotFramework;
  let t: TestService;
  let last: unknown = null;

  const activity = (name: FixtureName, over: Record<string, unknown> = {}): FixtureActivity => {
    const a = loadFixture(name, { serviceUrl: fake.serviceUrl, appId, tenantId });
    // The other channels' clients don't say where they are; a time zone would add the client's local time to
    // every deadline we tell them (as it should), and the transcripts would differ.
    const entities = ((a.entities ?? []) as Record<string, unknown>[]).map(({ timezone: _tz, ...e }) => e);
    const { localTimezone: _ltz, ...rest } = a;
    return { ...rest, entities, from: user, conversation: { ...a.conversation, id: conversationId }, ...over } as FixtureActivity;
  };

  const deliver = async (body: unknown, opts: { authorization?: string | null } = {}) => {
    last = body;
    const authorization = opts.authorization === undefined ? `Bearer ${fake.token()}` : opts.authorization;
    const res = await t.app.inject({
      method: 'POST', url: WEBHOOK_PATH, payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    });
    const json = safeJson(res.body);
    return { status: res.statusCode, outcome: json?.status ?? null, json };
  };

  const sent = () => fake.activities.filter((a) => a.conversationId === conversationId);

  return {
    channel: 'botframework',
    capabilities: BOTFRAMEWORK_CAPABILITIES,
    get fake() {
      return fake;
    },
    appId,
    tenantId,
    conversationId,
    activity,
    deliver,
    sent,
    async prepare() {
      fake = await startFakeBotFramework({ appId });
      return {
        ...fake.env(appId, 'parity-bot-secret'),
      };
    },
    start: async (service) => void (t = service),
    async link(svc, clientId) {
      const res = await svc.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'botframework', key: conversationId });
      expect([200, 201]).toContain(res.status);
    },
    // Teams has no urgency field: a client who wants one says so with a tag (#low), which the adapter reads.
    clientSays: (text, opts = {}) => {
      const withTag = opts.urgency ? `${text} #${opts.urgency}` : text;
      // Teams' own HTML rendering of the message is left out: it would have to match the text.
      return deliver(activity('teams-personal-message', { id: `1${Date.now()}${Math.floor(Math.random() * 1e6)}`, text: withTag, attachments: [] }));
    },
    // A press on the latest card that offers the choice: Action.Submit arrives as a message with `value`.
    async choose(value) {
      const card = [...sent()].reverse().find((a) => decodeActivity(a.body).choices.includes(value));
      if (!card) throw new Error(`no card in the conversation offers ${value}`);
      return deliver(activity('teams-card-submit', { id: `f:${randomUUID()}`, value: { [CHOICE_KEY]: value }, replyToId: card.id }));
    },
    // The channel sends the same activity again, with a token of its own.
    redeliverLast: () => deliver(last),
    received: (): NeutralOutbound[] => sent().map((a) => decodeActivity(a.body)),
    stop: async () => fake?.close(),
  };
}

/** One activity as the client reads it. */
export function decodeActivity(body: Record<string, unknown>): NeutralOutbound {
  const flavor = flavorOf(String(body.channelId));
  const { author, text } = decodeMarkdown(String(body.text ?? ''), flavor);
  const cards = ((body.attachments ?? []) as { contentType?: string; content?: { actions?: { data?: Record<string, unknown> }[] } }[])
    .filter((x) => x.contentType === ADAPTIVE_CARD)
    .flatMap((x) => x.content?.actions ?? [])
    .map((action) => String(action.data?.[CHOICE_KEY] ?? ''));
  const suggested = ((body.suggestedActions as { actions?: { value?: unknown }[] } | undefined)?.actions ?? []).map((x) => String(x.value ?? ''));
  return { author, text, choices: [...cards, ...suggested] };
}

// An escaped character, one of our links, or any other character.
const TOKEN = /\\([!-/:-@[-`{-~])|\[((?:\\.|[^\]\\])*)\]\([^)\s]*\)|([\s\S])/g;
const MARKUP = /[`*_~[\]<>&|$\\]/;

/**
 * Our markdown back to the text core composed: the author's bold line, links, line breaks and escapes undone. Markup
 * that is none of ours means the client would see formatting nobody meant: that throws.
 */
export function decodeMarkdown(md: string, flavor: Flavor): { author: string | null; text: string } {
  let rest = md;
  let author: string | null = null;
  const named = /^\*\*((?:\\.|[^*\\])+)\*\*(?:\n\n|  \n)/.exec(rest);
  if (named) {
    author = unescape(named[1], md);
    rest = rest.slice(named[0].length);
  }
  rest = flavor === 'teams' ? rest.split('\n\n').join('\n') : rest.replace(/ {2}\n/g, '\n');
  const marker = /^\s*(?:[#>+=-]|\d+[.)])/m.exec(rest);
  if (marker) throw new Error(`we sent a line a client would read as a heading, quote or list: ${JSON.stringify(marker[0])} in ${JSON.stringify(md)}`);
  return { author, text: unescape(rest, md, true) };
}

function unescape(s: string, md: string, links = false): string {
  let out = '';
  for (const m of s.matchAll(TOKEN)) {
    if (m[1] !== undefined) out += m[1];
    else if (m[2] !== undefined && links) out += unescape(m[2], md);
    else if (m[3] !== undefined && !MARKUP.test(m[3])) out += m[3];
    else throw new Error(`we sent markdown a client would read as formatting: ${JSON.stringify(m[0])} in ${JSON.stringify(md)}`);
  }
  return out;
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
