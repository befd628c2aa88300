// Tying a shared channel to a client when nobody did it through the admin API or /link: once the app is in a shared
// channel that is not linked, the support lead channel is asked which client it belongs to, with a menu of clients;
// a manager's pick links it. Asked once per channel (kept in the channel's state).
import type { ChannelState } from '../../src/channels/module';
import { escapeMrkdwn } from '../../src/console/slack/escape';
import { describeError } from '../../src/core/errors';
import type { Logger } from '../../src/core/ports';
import type { SlackShared } from './shared';

export const LINK_ACTION = 'link_shared_channel';
/** Slack's limit on a static menu's options; more clients than this are linked with /link. */
const MENU_MAX = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function linkAsker(s: SlackShared, state: ChannelState, log: Logger) {
  return async function askOnce(channel: string): Promise<void> {
    const key = `asked:${channel}`;
    if (await state.get(key)) return;
    const lead = s.cfg.leadChannel;
    if (!lead) {
      log.warn({ channel }, 'slack: the app is in an unlinked shared channel and there is no SLACK_LEAD_CHANNEL to ask; link it with /link or the admin API');
      await state.set(key, { at: new Date().toISOString(), asked: false });
      return;
    }
    const clients = await s.data.clientsForMenu(MENU_MAX);
    const text = `Switchboard was added to <#${channel}>, a channel shared with another organisation. Which client is it? Until it is linked, posts there open no cases.`;
    const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
    if (clients.length)
      blocks.push({
        type: 'actions', block_id: `link:${channel}`,
        elements: [{
          type: 'static_select', action_id: LINK_ACTION, placeholder: { type: 'plain_text', text: 'Pick the client' },
          options: clients.map((c) => ({ text: { type: 'plain_text', text: c.name.slice(0, 75) }, value: `${channel}:${c.id}` })),
        }],
      });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Or in that channel: `/link <client>`' }] });
    await s.client.chat.postMessage({ channel: lead, text, blocks: blocks as never });
    await state.set(key, { at: new Date().toISOString(), asked: true });
  };
}

/** A pick from the lead channel's menu: `<channel>:<client id>`. */
export function parsePick(value: string): { channel: string; clientId: string } | null {
  const [channel, clientId] = value.split(':');
  return /^[CG][A-Z0-9]{2,40}$/.test(channel ?? '') && UUID.test(clientId ?? '') ? { channel, clientId } : null;
}

export async function linkPicked(s: SlackShared, pick: { channel: string; clientId: string }, by: string, message: { channel: string; ts: string } | null, log: Logger): Promise<string | null> {
  const r = await s.data.linkSharedChannel(pick.channel, pick.clientId);
  if (!r.ok) return `Not linked: ${escapeMrkdwn(r.why)}`;
  if (message) {
    const text = `<#${pick.channel}> is linked to *${escapeMrkdwn(r.clientName)}* by <@${by}>: posts from their organisation there open cases.`;
    await s.client.chat.update({ channel: message.channel, ts: message.ts, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] as never })
      .catch((err) => log.warn({ err: describeError(err) }, 'slack: could not update the link question'));
  }
  return null;
}
