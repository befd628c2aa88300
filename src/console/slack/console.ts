// The managers' Slack workspace as the ManagerConsole: one private channel per client (created on demand, managers
// invited), one thread per case under a card kept current, client messages and alerts in the thread, alerts also by
// DM and (breach, escalation) to the lead channel. Called by the outbox drainer, so a Slack outage is retried and
// every step is idempotent: a case's thread is recorded as soon as it exists and never posted twice, and each post
// of a notice is recorded as a step as soon as it is out, so a retry repeats only the posts that failed.
import type { WebClient } from '@slack/web-api';
import { DeliveryError, type Clock, type ConsoleNotice, type DeliverySteps, type Logger, type ManagerConsole } from '../../core/ports';
import { caseCard, caseCardText, homeView } from './blocks';
import { escapeMrkdwn, mrkdwnLink } from './escape';
import type { SlackConfig } from './config';
import type { SlackData } from './data';
import { slack, toDeliveryError } from './web';

const ALERTS = new Set(['sla_warning', 'sla_breach', 'eta_missed', 'milestone_missed', 'delivery_failed', 'escalation', 'case_reassigned']);
/** Runs one named post of a notice unless an earlier attempt already made it. */
type Step = (name: string, post: () => Promise<unknown>) => Promise<void>;
/** Told about every case a notice was delivered for (a client channel in the same workspace follows its cases). */
export type CaseNoticeListener = (caseId: string) => Promise<void>;

const ICON: Record<string, string> = {
  sla_warning: ':hourglass_flowing_sand:', sla_breach: ':rotating_light:', eta_missed: ':alarm_clock:', milestone_missed: ':calendar:',
  delivery_failed: ':warning:', escalation: ':arrow_double_up:', case_reassigned: ':busts_in_silhouette:', new_client: ':wave:',
};

export class SlackConsole implements ManagerConsole {
  constructor(
    private readonly client: WebClient,
    private readonly data: SlackData,
    private readonly cfg: SlackConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  private readonly caseListeners: CaseNoticeListener[] = [];
  /** Runs after each notice about a case; its failures are logged, never the notice's. */
  onCaseNotice(listener: CaseNoticeListener): void {
    this.caseListeners.push(listener);
  }

  async deliver(n: ConsoleNotice, opts?: { signal?: AbortSignal; steps?: DeliverySteps }): Promise<void> {
    // A Slack call can't be abandoned half-way, so the deadline is checked between calls.
    const inTime = () => {
      if (opts?.signal?.aborted) throw new DeliveryError('the console notice ran out of time; the steps done are kept', true);
    };
    const step: Step = async (name, post) => {
      if (opts?.steps?.has(name)) return;
      inTime();
      await post();
      await opts?.steps?.done(name);
    };
    if (!n.caseId) {
      if (this.cfg.leadChannel) await step('lead', () => slack(() => this.client.chat.postMessage({ channel: this.cfg.leadChannel!, text: `${ICON[n.type] ?? ''} ${escapeMrkdwn(n.text)}` })));
      return;
    }
    inTime();
    const thread = await this.ensureThread(n.caseId);
    if (!thread) return;
    switch (n.type) {
      case 'case_opened':
      case 'client_message':
        if (n.messageId) await step('message', () => this.postClientMessage(thread, n.messageId!));
        break;
      case 'message_edited':
        if (n.messageId) await step('message', () => this.postClientMessage(thread, n.messageId!, 'edited their message'));
        break;
      case 'message_deleted':
        if (n.messageId) await step('message', () => this.postClientMessage(thread, n.messageId!, 'deleted their message'));
        break;
      case 'manager_reply':
        if (n.messageId) await step('message', () => this.postDirectReply(thread, n.messageId!));
        break;
      case 'reply_delivered':
        await step('confirm', () => this.confirmDelivery(thread, n));
        break;
      case 'case_updated':
        break;
      default:
        if (ALERTS.has(n.type)) await this.alert(thread, n, step);
    }
    const refresh = async () => {
      await this.refreshCard(n.caseId!, thread);
      await this.refreshHomes(n.managerIds);
    };
    // For case_updated the refresh is the whole notice: a failure is retried. Otherwise the notice's own post is out
    // and a retry would post it again, so a failed refresh is only logged; the next notice refreshes the card again.
    if (n.type === 'case_updated') await refresh();
    else await refresh().catch((err) => this.log.warn({ caseId: n.caseId, err: (err as Error).message }, 'Slack card or App Home refresh failed'));
    for (const listener of this.caseListeners)
      await listener(n.caseId).catch((err) => this.log.warn({ caseId: n.caseId, err: (err as Error).message }, 'a case notice listener failed'));
  }

  /** The client's channel and the case's thread, created the first time they are needed. */
  private async ensureThread(caseId: string): Promise<{ channel: string; ts: string } | null> {
    const d = await this.data.caseCard(caseId, this.clock.now());
    if (!d) return null;
    if (d.row.slackChannelId && d.row.slackThreadTs) return { channel: d.row.slackChannelId, ts: d.row.slackThreadTs };
    const channel = d.client.slackChannelId ?? (await this.channelOnce(d.client.id, d.client.name));
    // Before each new thread, not only when the channel is created: an invite that failed after the channel was
    // recorded is retried here (and a manager assigned later joins).
    await this.inviteManagers(d.client.id, channel);
    const posted = await slack(() => this.client.chat.postMessage({ channel, text: caseCardText(d), blocks: caseCard(d, this.clock.now()) as never }));
    await this.data.setCaseThread(caseId, channel, posted.ts!);
    return { channel, ts: posted.ts! };
  }

  /**
   * The drainer delivers notices of different cases in parallel: two first cases of one client must not create two
   * channels. One creation per client at a time in this process; the others wait and reuse its channel.
   */
  private creating = new Map<string, Promise<string>>();
  private channelOnce(clientId: string, name: string): Promise<string> {
    let p = this.creating.get(clientId);
    if (!p) {
      p = this.createClientChannel(clientId, name).finally(() => this.creating.delete(clientId));
      this.creating.set(clientId, p);
    }
    return p;
  }

  private async createClientChannel(clientId: string, name: string): Promise<string> {
    const base = `sb-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'client'}`;
    let channelId: string | null = null;
    for (let i = 0; i < 5 && !channelId; i++) {
      try {
        const res = await this.client.conversations.create({ name: i ? `${base}-${i + 1}` : base, is_private: true });
        channelId = res.channel!.id!;
      } catch (err) {
        if ((err as { data?: { error?: string } }).data?.error !== 'name_taken') throw toDeliveryError(err);
      }
    }
    if (!channelId) throw new Error(`no free Slack channel name for ${name}`);
    await this.data.setClientChannel(clientId, channelId);
    return channelId;
  }

  /** One user a call, so someone already in the channel fails nobody else's invite. */
  private async inviteManagers(clientId: string, channel: string) {
    for (const m of await this.data.managersOf(clientId)) {
      if (!m.slackUserId) continue;
      try {
        await this.client.conversations.invite({ channel, users: m.slackUserId });
      } catch (err) {
        const e = toDeliveryError(err);
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code === 'already_in_channel') continue;
        // Outages and rate limits are retried; a refusal about this user must not hold the case's thread back.
        if ((err as { code?: string }).code !== 'slack_webapi_platform_error') throw e;
        this.log.warn({ clientId, slackUserId: m.slackUserId, err: e.message }, 'could not invite a manager to the client channel');
      }
    }
  }

  /** A client's message in the case thread; `change` says it is an edit (the new text) or a deletion (the text as it was). */
  private async postClientMessage(thread: { channel: string; ts: string }, messageId: string, change?: string) {
    const m = await this.data.message(messageId);
    if (!m) return;
    const who = `${m.contactName ?? 'Client'}${change ? ` ${change}` : ''}`;
    const files = (m.m.attachments as { name: string; url: string }[]).map((a) => `\n<${a.url}|${a.name}>`).join('');
    const links = (m.m.attachments as { name: string; url: string }[]).map((a) => `\n${mrkdwnLink(a.url, a.name)}`).join('');
    await slack(() =>
      this.client.chat.postMessage({
        channel: thread.channel, thread_ts: thread.ts, text: `${escapeMrkdwn(who)} (${m.m.channel}): ${escapeMrkdwn(m.m.text)}${links}`,
        blocks: [
          { type: 'context', elements: [{ type: 'mrkdwn', text: `*${escapeMrkdwn(who)}* via ${m.m.channel}` }] },
          { type: 'section', text: { type: 'plain_text', text: (m.m.text || ' ').slice(0, 2900) + files.slice(0, 90) } },
        ] as never,
      }),
    );
  }

  /** What a manager wrote to the client on the client's own Slack channel, shown in the case thread. */
  private async postDirectReply(thread: { channel: string; ts: string }, messageId: string) {
    const m = await this.data.message(messageId);
    if (!m) return;
    const who = m.managerName ?? 'A manager';
    await slack(() =>
      this.client.chat.postMessage({
        channel: thread.channel, thread_ts: thread.ts, text: `:speech_balloon: ${escapeMrkdwn(who)} answered the client in their channel: ${escapeMrkdwn(m.m.text)}`,
        blocks: [
          { type: 'context', elements: [{ type: 'mrkdwn', text: `:speech_balloon: *${escapeMrkdwn(who)}* answered the client in their channel` }] },
          { type: 'section', text: { type: 'plain_text', text: (m.m.text || ' ').slice(0, 2900) } },
        ] as never,
      }),
    );
  }

  private async confirmDelivery(thread: { channel: string; ts: string }, n: ConsoleNotice) {
    const origin = n.messageId ? await this.data.slackOrigin(n.messageId) : null;
    if (origin) {
      try {
        await this.client.reactions.add({ channel: origin.channel, timestamp: origin.ts, name: 'white_check_mark' });
      } catch (err) {
        // A second confirmation after a retry is harmless.
        if ((err as { data?: { error?: string } }).data?.error !== 'already_reacted') throw toDeliveryError(err);
      }
      return;
    }
    await slack(() => this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, text: `:white_check_mark: ${n.text}` }));
  }

  private async alert(thread: { channel: string; ts: string }, n: ConsoleNotice, step: Step) {
    const text = `${ICON[n.type] ?? ''} ${escapeMrkdwn(n.text)}`;
    await step('thread', () => slack(() => this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, text })));
    for (const m of await this.data.managers(n.managerIds))
      if (m.slackUserId) await step(`dm:${m.id}`, () => slack(() => this.client.chat.postMessage({ channel: m.slackUserId!, text: `${text} <${this.permalink(thread)}|Open the case>` })));
    if (n.toLead && this.cfg.leadChannel) await step('lead', () => slack(() => this.client.chat.postMessage({ channel: this.cfg.leadChannel!, text })));
  }

  private permalink(thread: { channel: string; ts: string }) {
    return `https://slack.com/app_redirect?channel=${thread.channel}&message_ts=${thread.ts}`;
  }

  async refreshCard(caseId: string, thread?: { channel: string; ts: string }) {
    const d = await this.data.caseCard(caseId, this.clock.now());
    if (!d) return;
    const at = thread ?? (d.row.slackChannelId && d.row.slackThreadTs ? { channel: d.row.slackChannelId, ts: d.row.slackThreadTs } : null);
    if (!at) return;
    await slack(() => this.client.chat.update({ channel: at.channel, ts: at.ts, text: caseCardText(d), blocks: caseCard(d, this.clock.now()) as never }));
  }

  async refreshHomes(managerIds: string[]) {
    for (const m of await this.data.managers(managerIds)) if (m.slackUserId) await this.publishHome(m.id, m.slackUserId, m.timeZone);
  }

  async publishHome(managerId: string, slackUserId: string, zone: string) {
    const queue = await this.data.queueOf(managerId, this.clock.now());
    await slack(() => this.client.views.publish({ user_id: slackUserId, view: homeView(queue, zone, this.clock.now()) as never }));
  }

  /** A Slack user who may not answer in this thread is told why, only to them. */
  async explain(channel: string, user: string, threadTs: string, text: string) {
    try {
      await this.client.chat.postEphemeral({ channel, user, thread_ts: threadTs, text });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not post an ephemeral explanation');
    }
  }
}
