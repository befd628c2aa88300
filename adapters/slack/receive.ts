// The Slack channel's listeners on the console's bolt app: messages in linked shared channels (clients' posts, their
// edits and deletions, staff answering in a client's thread, our own posts coming back), the app joining a shared
// channel, a shared channel's id changing, a client pressing a choice, a manager linking a channel from the lead
// channel's menu. The console's own listeners skip shared channels; these skip everything else (a console channel is
// never linked). Events are answered only once handled (receiver.ts): what throws is redelivered by Slack.
import type { App, RespondFn } from '@slack/bolt';
import type { ChannelDeps } from '../../src/channels/module';
import { inTime, settle } from '../../src/console/slack/answer';
import { describeError } from '../../src/core/errors';
import type { InboundEnvelope } from '../../src/core/ports';
import { conversationKey, parseAddress } from './address';
import type { SlackChannelConfig } from './config';
import { attachmentsOf } from './files';
import { answered, CHOICE_ACTION } from './format';
import { isVendor, type Identity } from './identity';
import { LINK_ACTION, linkAsker, linkPicked, parsePick } from './link';
import { classify, isSpoken, subjectOf, type EventBody, type SlackMessage } from './normalize';
import type { EventProfile, People } from './people';
import type { SlackShared } from './shared';
import { recordStaffReply } from './staff';

export interface ReceiveDeps {
  s: SlackShared;
  deps: ChannelDeps<SlackChannelConfig>;
  identity: Identity;
  people: People;
}

type Press = {
  user: { id: string; team_id?: string; name?: string; username?: string };
  trigger_id: string;
  channel?: { id: string };
  container?: { message_ts?: string; thread_ts?: string; channel_id?: string };
  message?: { ts?: string; thread_ts?: string; text?: string; blocks?: Record<string, unknown>[] };
};

export function listen(app: App, r: ReceiveDeps): void {
  const { s, deps, identity, people } = r;
  const log = deps.log;
  const askOnce = linkAsker(s, deps.state, log);

  app.event('message', async ({ event, body }) => {
    const b = body as unknown as EventBody;
    const e = event as unknown as SlackMessage & { user_profile?: EventProfile };
    if (!(await s.data.sharedChannelClient(e.channel))) {
      if (b.is_ext_shared_channel) await askOnce(e.channel);
      return;
    }
    const me = await identity.forEvent(b);
    if (!me) throw new Error('the vendor workspace is not known yet (auth.test failed and the event names none)');
    const subject = subjectOf(e);
    const spoken = isSpoken(e.subtype);
    const team = spoken ? (e.user_team ?? e.team) : (e.message?.user_team ?? e.message?.team);
    // Names and file details are looked up for a client's messages only (staff and bots don't need them).
    const fromClient = !e.bot_id && !!subject.user && !!team && !isVendor(me, team);
    const started = process.hrtime.bigint();
    const c = classify(b, {
      me, now: deps.clock.now(),
      name: fromClient && spoken ? await people.nameOf(subject.user!, e.user_profile) : (subject.user ?? ''),
      attachments: fromClient && subject.files?.length ? await attachmentsOf(s.client, subject.files, { channel: e.channel, ts: e.message?.ts ?? e.ts }, log) : [],
    });
    if (c.kind === 'ignore') return;
    if (c.kind === 'staff') return recordStaffReply(s, c, { channel: 'slack', scope: me.teamId, id: b.event_id });
    const out = await deps.ingest(c.envelope);
    deps.metrics.ingestSeconds.observe({ channel: 'slack' }, Number(process.hrtime.bigint() - started) / 1e9);
    log.debug({ channel: 'slack', outcome: out.status }, 'slack: client message handled');
  });

  app.event('member_joined_channel', async ({ event, body }) => {
    const e = event as { user: string; channel: string };
    const me = await identity.get();
    if (!me?.botUserId || e.user !== me.botUserId) return;
    if (await s.data.sharedChannelClient(e.channel)) return;
    const flag = (body as { is_ext_shared_channel?: boolean }).is_ext_shared_channel;
    if (flag ?? (await isExtShared(s, e.channel))) await askOnce(e.channel);
  });

  // A private channel's G… id becomes C… when a share starts (api.slack.com/events/channel_id_changed).
  app.event('channel_id_changed', async ({ event }) => {
    const e = event as { old_channel_id: string; new_channel_id: string };
    await s.data.moveSharedChannel(e.old_channel_id, e.new_channel_id);
  });

  /**
   * An interaction's work runs before its ack (Slack never sends it again, so the answer is its outcome); work still
   * running after the ack deadline goes on, and what the presser must read follows on the response_url.
   */
  const act = async (ack: () => Promise<void>, respond: RespondFn, what: string, failed: string, work: () => Promise<string | void>) => {
    const outcome = settle(work);
    const early = await inTime(outcome);
    await ack();
    const o = early ?? (await outcome);
    if (!o.ok) log.error({ channel: 'slack', action: what, err: describeError(o.err) }, 'slack: an interaction failed');
    const text = o.ok ? o.value : failed;
    if (text) await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
  };

  // A client of the linked organisation pressing one of the choices we offered: the same as typing its command.
  app.action(CHOICE_ACTION, async ({ ack, body, action, respond }) => {
    await act(ack, respond, 'client_choice', 'Your choice could not be recorded. Please press it again.', () => press(r, body as unknown as Press, (action as { value?: string }).value ?? ''));
  });

  app.action(LINK_ACTION, async ({ ack, body, action, respond }) => {
    const b = body as unknown as Press;
    await act(ack, respond, LINK_ACTION, 'Not linked: something went wrong. Please pick again.', async () => {
      const pick = parsePick((action as { selected_option?: { value?: string } | null }).selected_option?.value ?? '');
      if (!pick) return 'That pick is not one of ours.';
      if (!(await s.data.managerBySlackUser(b.user.id))) return 'Only Switchboard managers can link a channel to a client.';
      const where = b.channel?.id ?? b.container?.channel_id;
      const msg = where && b.container?.message_ts ? { channel: where, ts: b.container.message_ts } : null;
      return (await linkPicked(s, pick, b.user.id, msg, log)) ?? undefined;
    });
  });
}

/** What the presser reads, if anything; throws when the choice could not be recorded. */
async function press(r: ReceiveDeps, p: Press, value: string): Promise<string | void> {
  const { s, deps, identity } = r;
  const me = await identity.get();
  const channel = p.channel?.id ?? p.container?.channel_id;
  const messageTs = p.container?.message_ts ?? p.message?.ts;
  if (!me || !channel || !messageTs) throw new Error('a press without its channel or message, or before the vendor workspace is known');
  // Our buttons are for the client's people; the vendor's own act on the case card in the console.
  if (!p.user.team_id || isVendor(me, p.user.team_id)) return 'These buttons are for the client. Managers set the urgency on the case card in the console.';
  if (!(await s.data.sharedChannelClient(channel))) return;
  // The conversation our post belongs to (its ts is stored as ours); the thread it is in when that isn't known yet.
  const known = await deps.conversationOf({ platformIds: [{ scope: channel, externalId: messageTs }] });
  const root = p.container?.thread_ts ?? p.message?.thread_ts ?? messageTs;
  const address = parseAddress(known?.address) ?? { channel, thread_ts: root };
  const name = p.user.name ?? p.user.username ?? p.user.id;
  const env: InboundEnvelope = {
    channel: 'slack',
    account: p.user.team_id,
    // One press of one button by one person counts once, however often it arrives or is clicked.
    deliveryId: `press:${channel}:${messageTs}:${p.user.id}:${value}`,
    deliveryScope: me.teamId,
    conversationKey: known?.conversationKey ?? conversationKey(me.teamId, channel, root),
    address,
    sender: { externalId: p.user.id, name, isSelf: false, isAutomated: false },
    linkKeys: [channel],
    platformMessageIds: [],
    text: value,
    attachments: [],
    receivedAt: deps.clock.now(),
  };
  const out = await deps.ingest(env);
  if (out.status === 'duplicate') return;
  const label = (p.message?.blocks ?? []).flatMap((b) => (b.elements as { value?: string; text?: { text?: string } }[] | undefined) ?? []).find((el) => el.value === value)?.text?.text ?? value;
  await s.client.chat
    .update({ channel, ts: messageTs, text: p.message?.text ?? '', blocks: answered(p.message?.blocks, label, name) as never })
    .catch((err) => deps.log.warn({ channel: 'slack', err: describeError(err) }, 'slack: could not take the buttons off an answered message'));
}

async function isExtShared(s: SlackShared, channel: string): Promise<boolean> {
  try {
    const r = await s.client.conversations.info({ channel });
    return !!(r.channel as { is_ext_shared?: boolean } | undefined)?.is_ext_shared;
  } catch {
    return false;
  }
}
