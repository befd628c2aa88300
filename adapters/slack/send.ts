// One composed part → chat.postMessage into the client's thread, under the manager's name and picture when a manager
// wrote it (chat:write.customize). Paced per channel; Slack's refusals become DeliveryErrors the outbox understands:
// a 429 waits its Retry-After, outages retry, and a channel that is gone, archived or without us
// (channel_not_found, is_archived, not_in_channel) fails at once and is reported to the manager on the case.
import type { WebClient } from '@slack/web-api';
import type { SlackData } from '../../src/console/slack/data';
import { slack } from '../../src/console/slack/web';
import { DeliveryError, type OutboundMessage, type SendResult } from '../../src/core/ports';
import { parseAddress } from './address';
import { render } from './format';
import type { ChannelPacer } from './pace';
import type { People } from './people';

export interface SendDeps {
  client: WebClient;
  data: SlackData;
  people: People;
  pacer: ChannelPacer;
}

type Opts = { idempotencyKey: string; signal: AbortSignal };

export function createSend(d: SendDeps) {
  return async function send(address: unknown, msg: OutboundMessage, opts: Opts): Promise<SendResult> {
    const to = parseAddress(address);
    if (!to) throw new DeliveryError('the case has no valid Slack thread address', false);
    const { text, blocks } = render(msg);
    const as = msg.author ? { username: msg.author.name.slice(0, 80), ...(await pictureOf(d, msg.author.managerId)) } : {};
    await pace(d.pacer, to.channel, opts.signal);
    const r = await slack(() => d.client.chat.postMessage({ channel: to.channel, thread_ts: to.thread_ts, text, ...(blocks ? { blocks: blocks as never } : {}), ...as }));
    const ts = r.ts;
    if (!ts) throw new DeliveryError('Slack accepted the post but gave no ts', true);
    // Scoped to the channel, as inbound ts are: our post coming back as an event is known as ours.
    return { externalIds: [ts], scope: to.channel };
  };
}

/** The manager's Slack picture; none (the app's own) when they have no Slack user or it can't be read. */
async function pictureOf(d: SendDeps, managerId: string | undefined): Promise<{ icon_url?: string }> {
  if (!managerId) return {};
  const [m] = await d.data.managers([managerId]).catch(() => []);
  const pic = m?.slackUserId ? await d.people.pictureOf(m.slackUserId) : null;
  return pic ? { icon_url: pic } : {};
}

async function pace(pacer: ChannelPacer, channel: string, signal: AbortSignal): Promise<void> {
  const slot = pacer.reserve(channel);
  if (!slot.ok) throw new DeliveryError(`paced: too many posts into this channel, next one in ${Math.ceil(slot.retryAfterMs / 1000)} s`, true, slot.retryAfterMs);
  if (slot.waitMs <= 0) return;
  await new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new DeliveryError('out of time while paced', true));
    const t = setTimeout(resolve, slot.waitMs);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DeliveryError('out of time while paced', true));
    }, { once: true });
  });
}
