// Parity harness for Slack Connect: a channel shared with the client's organisation, whose people post there. Native
// deliveries are signed Events API and interaction requests shaped as Slack sends them (fixtures/); what we send is
// read back from the fake Web API's chat.postMessage calls into that channel: mrkdwn escaping undone, the manager's
// name (the post's username) as the author, the buttons' values as choices.
import { randomInt } from 'node:crypto';
import type { ChannelHarness, DeliveryAnswer, NeutralOutbound } from '../../test/parity/harness';
import { FakeSlack, type SlackCall } from '../../test/support/fake-slack';
import type { TestService } from '../../test/support/service';
import { interactionBody, slackHeaders } from '../../test/support/slack-signing';
import { blockActions, envelope, personMessage, type Person } from './fixtures';
import { SLACK_CAPABILITIES } from './index';

export const HARNESS_SIGNING_SECRET = 'parity-slack-signing-secret-0123456789';

export interface SlackHarness extends ChannelHarness {
  readonly fake: FakeSlack;
  readonly channelId: string;
  readonly client: Person;
  /** Signs and POSTs a raw body to one of the Slack request URLs, as Slack would. */
  deliver(kind: 'events' | 'interactions', raw: string, headers?: Record<string, string>): Promise<DeliveryAnswer & { body: string }>;
}

/** One of our posts into the shared channel as the client reads it. */
export function decodePost(call: SlackCall): NeutralOutbound {
  const blocks: { type: string; elements?: { type: string; value?: string }[] }[] = call.args.blocks ?? [];
  return {
    author: typeof call.args.username === 'string' ? call.args.username : null,
    text: String(call.args.text ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
    choices: blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []).filter((e) => e.type === 'button').map((e) => e.value ?? '') : [])),
  };
}

export default function slackHarness(): SlackHarness {
  const n = randomInt(100_000, 999_999);
  const channelId = `C0SHARED${n}`;
  const client: Person = { id: `U0EXT${n}`, team: `T0CLIENT${n}`, name: 'Pat Client' };
  const fake = new FakeSlack();
  let t: TestService;
  let last: { kind: 'events' | 'interactions'; raw: string } | null = null;
  /** The thread the client writes in: their first post starts it, everything after continues it. */
  let root: string | null = null;

  const deliver = async (kind: 'events' | 'interactions', raw: string, headers: Record<string, string> = {}) => {
    last = { kind, raw };
    const res = await t.app.inject({
      method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
      headers: {
        'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded',
        ...slackHeaders(HARNESS_SIGNING_SECRET, raw, t.clock.now()),
        ...headers,
      },
    });
    // Slack reports no outcome of ours: redeliveries are judged by what was stored.
    return { status: res.statusCode, outcome: null, body: res.body };
  };
  const posts = () => fake.callsOf('chat.postMessage').filter((c) => c.args.channel === channelId && c.result);

  return {
    channel: 'slack',
    capabilities: SLACK_CAPABILITIES,
    fake,
    channelId,
    client,
    deliver,
    async prepare() {
      await fake.start();
      return { SLACK_BOT_TOKEN: 'xoxb-parity-token', SLACK_SIGNING_SECRET: HARNESS_SIGNING_SECRET, SLACK_API_URL: fake.url };
    },
    start: async (service) => void (t = service),
    async link(svc, clientId) {
      const res = await svc.admin('PATCH', `/api/v1/clients/${clientId}`, { slackConnectChannelId: channelId });
      expect(res.status).toBe(200);
    },
    // Slack has no urgency field: a client who wants one says so with a hashtag (#low). Slack's composer reads a
    // leading "/" as one of its own commands, so a client types a space before a text command, as Slack advises.
    clientSays(text, opts = {}) {
      const said = `${text.startsWith('/') ? ' ' : ''}${text}${opts.urgency ? ` #${opts.urgency}` : ''}`;
      const event = personMessage(client, { channel: channelId, text: said, external: true, ...(root ? { threadTs: root } : {}) });
      root ??= event.ts;
      return deliver('events', JSON.stringify(envelope(event, { at: t.clock.now() })));
    },
    // A press on the latest post that offers the choice, as Slack reports it.
    async choose(value) {
      const offer = [...posts()].reverse().find((c) => decodePost(c).choices.includes(value));
      if (!offer) throw new Error(`no post in the shared channel offers a button for ${value}`);
      const payload = blockActions(client, {
        channel: channelId, value, threadTs: offer.args.thread_ts, responseUrl: fake.responseUrl(),
        message: { ts: offer.result!.ts, text: offer.args.text, blocks: offer.args.blocks },
      });
      return deliver('interactions', interactionBody(payload));
    },
    // Slack retries an event it got no 2xx for in time, naming the attempt.
    redeliverLast: () => {
      if (!last) throw new Error('nothing delivered yet');
      return deliver(last.kind, last.raw, last.kind === 'events' ? { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } : {});
    },
    received: () => posts().map(decodePost),
    stop: () => fake.stop(),
  };
}

