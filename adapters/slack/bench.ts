// The benchmark's Slack Connect traffic: a client's post in a linked shared channel, as a signed Events API delivery,
// each with its own ts and event_id. The bench's posts are replies in one thread per account (a top-level post is a
// conversation of its own and would open a case every time), so, as on every other channel, the first message opens
// a case and the rest follow up on it.
// Shaped like bench/channels' entries: the environment that enables the channel (pointing at a fake Web API for
// auth.test), how bench account i is linked (its shared channel), one request per message. The Slack channel rides on
// the manager console, so the bench server must configure the console from the same SLACK_* values (as main.ts does).
import { FakeSlack } from '../../test/support/fake-slack';
import { slackHeaders } from '../../test/support/slack-signing';
import { envelope, personMessage, type Person } from './fixtures';

export const BENCH_SIGNING_SECRET = 'bench-slack-signing-secret-0123456789';
const TEXT = 'The dashboard numbers look wrong since this morning, can you check?';

export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** One signed shared-channel post. */
export function slackBenchRequest(
  text: string, o: { signingSecret: string; channel: string; client?: Person; now?: Date; threadTs?: string },
): BenchRequest {
  const now = o.now ?? new Date();
  const client = o.client ?? { id: 'U0BENCH', team: 'T0BENCHCLIENT', name: 'Bench Client' };
  const body = JSON.stringify(envelope(personMessage(client, { channel: o.channel, text, external: true, threadTs: o.threadTs }), { at: now }));
  return {
    method: 'POST',
    path: '/webhooks/slack/events',
    headers: { 'content-type': 'application/json', ...slackHeaders(o.signingSecret, body, now) },
    body,
  };
}

/** Bench account i writes from shared channel C0BENCH<i>, as one of a few people of its organisation. */
export function slackBenchChannel() {
  const fake = new FakeSlack();
  const channel = (i: number) => `C0BENCH${i}`;
  return {
    name: 'slack',
    route: '/webhooks/slack/events',
    async prepare(): Promise<Record<string, string>> {
      await fake.start();
      return { SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET, SLACK_API_URL: fake.url };
    },
    link: (i: number) => ({ channel: 'slack', key: channel(i) }),
    request(account: number) {
      const person = { id: `U0BENCH${Math.floor(Math.random() * 5)}`, team: `T0BENCH${account}`, name: 'Bench Client' };
      const threadTs = `1795000000.${String(account).padStart(6, '0')}`;
      const { headers, body } = slackBenchRequest(TEXT, { signingSecret: BENCH_SIGNING_SECRET, channel: channel(account), client: person, threadTs });
      return { headers, body };
    },
    stop: () => fake.stop(),
  };
}
