// The bolt app: thread replies relayed to clients, slash commands, card buttons, modals, message shortcuts and the
// App Home. Every action goes through core's commands, the same ones the admin API uses.
import { App, LogLevel } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import * as commands from '../../core/commands';
import { CommandError, DuplicateDelivery, type Actor, type CaseRef } from '../../core/commands';
import type { Core } from '../../core/context';
import { complianceReport } from '../../core/report';
import { formatInZone } from '../../core/compose';
import { parseWhen } from '../../core/when';
import type { ManagerRow } from '../../core/records';
import { modal, type ModalKind } from './blocks';
import type { SlackConfig } from './config';
import type { SlackConsole } from './console';
import type { SlackData } from './data';
import { parseSlash, type SlashAction } from './commands';
import { FastifyReceiver } from './receiver';
import { webClientOptions } from './web';
import { slaRows } from './reports';

export interface SlackDeps {
  core: Core;
  cfg: SlackConfig;
  client: WebClient;
  data: SlackData;
  console: SlackConsole;
}

const NOTE = /^\s*(note:|\/\/)\s*/i;

/** What a manager typed, as the client should read it: Slack's escaping and link markup undone. */
export function fromSlackMarkup(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<mailto:([^|>]+)\|[^>]+>/g, '$1')
    .replace(/<[@#!][^|>]*\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function createSlackApp(deps: SlackDeps): { app: App; receiver: FastifyReceiver } {
  const { core, data, client } = deps;
  const receiver = new FastifyReceiver(core.log);
  const app = new App({
    token: deps.cfg.botToken,
    receiver,
    clientOptions: webClientOptions(deps.cfg),
    tokenVerificationEnabled: false,
    botId: 'unused',
    botUserId: 'unused',
    // We drop bot and app messages ourselves (any bot_id), which also covers our own posts.
    ignoreSelf: false,
    logLevel: LogLevel.ERROR,
  });
  // bolt's default handler logs whole errors (an ORM error carries the reply text in its message); the receiver logs
  // a one-line description instead and answers Slack accordingly.
  app.error(async (err) => {
    throw err;
  });

  const manager = (userId: string) => data.managerBySlackUser(userId);
  /**
   * Who may act on a case from Slack: whoever holds it, the client's dedicated and backup managers, and the
   * managers who stand in for anyone (on call, the default manager). Others are told so and nothing changes.
   */
  const mayAct = async (m: ManagerRow, ref: CaseRef) => {
    if (m.onCall || m.isDefault) return true;
    const kase = await data.caseByRef(ref);
    return !!kase && (kase.managerId === m.id || (await data.managersOf(kase.clientId)).some((x) => x.id === m.id));
  };
  const notYours = 'Only the managers of this client (or the on-call manager) can act on this case.';
  const notManager = 'You are not set up as a Switchboard manager: ask an admin to set your Slack user id (PATCH /api/v1/managers/:id {"slackUserId": "…"}).';
  const failure = (err: unknown) => (err instanceof CommandError ? err.message : 'something went wrong; the action was not applied');
  // A modal is gone once submitted: a command that then fails (the case was resolved meanwhile) is told by DM.
  const tellManager = async (m: ManagerRow, err: unknown) => {
    core.log.warn({ err: failure(err) }, 'Slack modal action not applied');
    if (m.slackUserId) await client.chat.postMessage({ channel: m.slackUserId, text: `Not done: ${failure(err)}` }).catch(() => undefined);
  };

  // ---- thread replies -----------------------------------------------------------------------------------------
  app.event('message', async ({ event, body }) => {
    const e = event as { subtype?: string; bot_id?: string; user?: string; text?: string; ts: string; thread_ts?: string; channel: string };
    // A file shared in a thread arrives as a 'file_share' message: its text is a reply like any other.
    if ((e.subtype && e.subtype !== 'file_share') || e.bot_id || !e.user || !e.thread_ts || e.thread_ts === e.ts) return;
    const kase = await data.caseByThread(e.channel, e.thread_ts);
    if (!kase) return;
    const m = await manager(e.user);
    const allowed = m && (await mayAct(m, { id: kase.id }));
    if (!m || !allowed) {
      await deps.console.explain(e.channel, e.user, e.thread_ts, 'Only the managers of this client can answer in case threads; your message was not sent to the client.');
      return;
    }
    const text = fromSlackMarkup(e.text ?? '');
    if (e.subtype === 'file_share')
      await deps.console.explain(e.channel, e.user, e.thread_ts, text.trim()
        ? 'Your text goes to the client, but files are not forwarded from Slack yet: share a link to the file instead.'
        : 'Files are not forwarded from Slack yet: share a link to the file instead. Nothing was sent to the client.');
    if (!text.trim()) return;
    const actor: Actor = {
      managerId: m.id, origin: { channel: 'slack', scope: e.channel, externalId: e.ts },
      delivery: { channel: 'slack', id: String((body as { event_id?: string }).event_id ?? `${e.channel}:${e.ts}`) },
    };
    try {
      if (NOTE.test(text)) await commands.note(core, { id: kase.id }, actor, text.replace(NOTE, ''));
      else await commands.reply(core, { id: kase.id }, actor, text);
    } catch (err) {
      if (err instanceof DuplicateDelivery) return;
      if (err instanceof CommandError) await deps.console.explain(e.channel, e.user, e.thread_ts, `Not sent: ${err.message}`);
      else throw err;
    }
  });

  app.event('app_home_opened', async ({ event }) => {
    const m = await manager((event as { user: string }).user);
    if (m?.slackUserId) await deps.console.publishHome(m.id, m.slackUserId, m.timeZone);
  });

  // ---- slash commands -----------------------------------------------------------------------------------------
  app.command(/^\/[a-z]+$/, async ({ command, ack, respond }) => {
    const m = await manager(command.user_id);
    if (!m) return void (await ack({ response_type: 'ephemeral', text: notManager }));
    const parsed = parseSlash(command.command, command.text ?? '', m.timeZone, core.clock.now());
    if (!parsed.ok) return void (await ack({ response_type: 'ephemeral', text: parsed.usage }));
    const needsCase = 'caseNumber' in parsed.action || ['urgency', 'eta', 'needinfo', 'resolve', 'escalate'].includes(parsed.action.kind);
    let ref: CaseRef | null = null;
    if (needsCase) {
      ref = await resolveCase(data, command.channel_id, (parsed.action as { caseNumber?: number }).caseNumber);
      if (!ref) {
        const n = (parsed.action as { caseNumber?: number }).caseNumber;
        const text = n ? `Case #${n} is not a case of this channel's client.` : 'No open case in this channel: name one, e.g. `#1042`.';
        return void (await ack({ response_type: 'ephemeral', text }));
      }
      if (!(await mayAct(m, ref))) return void (await ack({ response_type: 'ephemeral', text: notYours }));
    }
    await ack();
    let text: string;
    try {
      text = await runSlash(deps, m, parsed.action, ref);
    } catch (err) {
      text = `Not done: ${failure(err)}`;
    }
    await respond({ response_type: 'ephemeral', text });
  });

  // ---- card buttons, modals and message shortcuts -------------------------------------------------------------
  app.action('set_urgency', async ({ ack, body, action, respond }) => {
    await ack();
    const [caseId, level] = String((action as { selected_option?: { value: string } }).selected_option?.value ?? '').split(':');
    const m = await manager(body.user.id);
    if (!m) return void (await respond({ response_type: 'ephemeral', replace_original: false, text: notManager }));
    if (!(await mayAct(m, { id: caseId }))) return void (await respond({ response_type: 'ephemeral', replace_original: false, text: notYours }));
    await commands.setUrgency(core, { id: caseId }, { managerId: m.id }, level, 'set from the case card').catch(async (err) =>
      respond({ response_type: 'ephemeral', replace_original: false, text: `Not done: ${failure(err)}` }));
  });

  app.action('resolve', async ({ ack, body, action, respond }) => {
    await ack();
    const m = await manager(body.user.id);
    if (!m) return void (await respond({ response_type: 'ephemeral', replace_original: false, text: notManager }));
    if (!(await mayAct(m, { id: (action as { value: string }).value }))) return void (await respond({ response_type: 'ephemeral', replace_original: false, text: notYours }));
    await commands.resolve(core, { id: (action as { value: string }).value }, { managerId: m.id }).catch(async (err) =>
      respond({ response_type: 'ephemeral', replace_original: false, text: `Not done: ${failure(err)}` }));
  });

  app.action(/^open_(eta|needinfo|escalate)$/, async ({ ack, body, action }) => {
    await ack();
    const caseId = (action as { value: string }).value;
    const kind = (action as { action_id: string }).action_id.slice(5) as ModalKind;
    await openModal(client, data, (body as { trigger_id: string }).trigger_id, kind, { id: caseId }, core.clock.now());
  });

  app.shortcut(/^case_(eta|needinfo|resolve|escalate|urgency)$/, async ({ ack, shortcut, respond }) => {
    await ack();
    const s = shortcut as unknown as { callback_id: string; trigger_id: string; user: { id: string }; channel: { id: string }; message: { ts: string; thread_ts?: string } };
    const kase = await data.caseByThread(s.channel.id, s.message.thread_ts ?? s.message.ts);
    if (!kase) return void (await respond({ response_type: 'ephemeral', text: 'This message is not in a case thread.' }));
    const kind = s.callback_id.slice(5);
    if (kind === 'resolve') {
      const m = await manager(s.user.id);
      if (!m) return void (await respond({ response_type: 'ephemeral', text: notManager }));
      if (!(await mayAct(m, { id: kase.id }))) return void (await respond({ response_type: 'ephemeral', text: notYours }));
      await commands.resolve(core, { id: kase.id }, { managerId: m.id }).catch((err) => respond({ response_type: 'ephemeral', text: `Not done: ${failure(err)}` }));
      return;
    }
    await openModal(client, data, s.trigger_id, kind as ModalKind, { id: kase.id }, core.clock.now());
  });

  app.view(/^modal_(eta|needinfo|escalate|urgency)$/, async ({ ack, view, body }) => {
    const m = await manager(body.user.id);
    const value = (block: string) => {
      const v = (view.state.values[block]?.value ?? {}) as { value?: string | null; selected_option?: { value: string } | null };
      return v.selected_option?.value ?? v.value ?? '';
    };
    if (!m) return void (await ack({ response_action: 'errors', errors: { [Object.keys(view.state.values)[0]]: notManager } }));
    const ref: CaseRef = { id: view.private_metadata };
    if (!(await mayAct(m, ref))) return void (await ack({ response_action: 'errors', errors: { [Object.keys(view.state.values)[0]]: notYours } }));
    const actor: Actor = { managerId: m.id };
    const kind = view.callback_id.slice(6);
    if (kind === 'eta') {
      const at = parseWhen(value('when'), core.clock.now(), m.timeZone);
      if (!at || at.getTime() <= core.clock.now().getTime())
        return void (await ack({ response_action: 'errors', errors: { when: 'Give a future time: 2h, 90m, tomorrow 15:00, fri 12:00' } }));
      await ack();
      await commands.postEta(core, ref, actor, at, value('note')).catch((err) => tellManager(m, err));
      return;
    }
    await ack();
    const run =
      kind === 'needinfo' ? commands.askForDetails(core, ref, actor, value('question'))
      : kind === 'urgency' ? commands.setUrgency(core, ref, actor, value('urgency'), 'set from Slack')
      : commands.escalate(core, ref, actor, value('reason'));
    await run.catch((err) => tellManager(m, err));
  });

  return { app, receiver };
}

/** `#N`, or the channel's latest open case. In a client's channel `#N` must be that client's: a typo there must
 * not resolve (and message) another client's case. */
async function resolveCase(data: SlackData, channelId: string, n?: number): Promise<CaseRef | null> {
  if (!n) {
    const c = await data.latestOpenCaseInChannel(channelId);
    return c ? { id: c.id } : null;
  }
  const kase = await data.caseByNumber(n);
  if (!kase) return null;
  const client = await data.clientByChannel(channelId);
  return !client || client.id === kase.clientId ? { number: n } : null;
}

async function openModal(client: WebClient, data: SlackData, triggerId: string, kind: ModalKind, ref: { id: string }, now: Date) {
  const card = await data.caseCard(ref.id, now);
  if (!card) return;
  await client.views.open({ trigger_id: triggerId, view: modal(kind, ref.id, card.view.number) as never });
}

async function runSlash(deps: SlackDeps, m: ManagerRow, a: SlashAction, ref: CaseRef | null): Promise<string> {
  const { core, data } = deps;
  const actor: Actor = { managerId: m.id };
  const now = core.clock.now();
  switch (a.kind) {
    case 'urgency': {
      const r = await commands.setUrgency(core, ref!, actor, a.level, 'set with /urgency');
      return `Urgency is now *${a.level}*.${r.dueAt ? ` Response due ${formatInZone(r.dueAt, m.timeZone)}.` : ''}`;
    }
    case 'eta': {
      const at = parseWhen(a.when, now, m.timeZone)!;
      const r = await commands.postEta(core, ref!, actor, at);
      const card = await data.caseCard((await data.caseByRef(ref!))!.id, now);
      const clientZone = card?.contact?.timeZone;
      const vendor = formatInZone(r.dueAt, card?.zone ?? m.timeZone);
      return `ETA posted for #${card?.view.number}: ${vendor}${clientZone && clientZone !== card?.zone ? ` · client: ${formatInZone(r.dueAt, clientZone)}` : ''}${m.timeZone !== card?.zone ? ` · you: ${formatInZone(r.dueAt, m.timeZone)}` : ''}.`;
    }
    case 'needinfo':
      await commands.askForDetails(core, ref!, actor, a.question);
      return 'Asked the client for details; the case waits on them and no clock runs.';
    case 'resolve':
      await commands.resolve(core, ref!, actor, a.summary);
      return 'Resolved; the client was told.';
    case 'escalate':
      await commands.escalate(core, ref!, actor, a.reason);
      return 'Escalated to the support lead.';
    case 'away': {
      const r = await commands.setManagerStatus(core, m.id, 'away');
      return `You are away. ${r.casesMoved} open case(s) moved to cover; new cases go to your backup.`;
    }
    case 'back': {
      const r = await commands.setManagerStatus(core, m.id, 'active');
      return `Welcome back. ${r.casesMoved} case(s) returned to you.`;
    }
    case 'cases': {
      const queue = await data.queueOf(m.id, now);
      if (!queue.length) return 'You have no open cases.';
      return queue.map((c) => `#${c.number} ${c.clientName} · ${c.urgency} · ${c.status.replace(/_/g, ' ')} · SLA ${c.sla.state}${c.sla.dueAt ? ` (due ${formatInZone(new Date(c.sla.dueAt), m.timeZone)})` : ''}${c.eta ? ` · ETA ${formatInZone(new Date(c.eta), m.timeZone)}` : ''}`).join('\n');
    }
    case 'features': {
      const queue = await core.store.tx((tx) => tx.featureQueue());
      if (!queue.length) return 'The feature-request queue is empty.';
      return queue.map((f, i) => `${i + 1}. #${f.caseNumber} ${f.clientName} (${f.tier}) · ${f.status} · ${f.text.slice(0, 120)}`).join('\n');
    }
    case 'sla': {
      const rows = await slaRows(data, a.client, now);
      if (rows === null) return `No client matches "${a.client}".`;
      const r = complianceReport(rows, now);
      const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);
      return [`SLA, last 30 days${a.client ? ` — ${a.client}` : ''}: ${pct(r.totals.compliance)} met (${r.totals.met} met, ${r.totals.breached} breached, ${r.totals.running} running)`,
        ...r.byUrgency.map((u) => `• ${u.name}: ${pct(u.compliance)} (${u.met}/${u.met + u.breached})`)].join('\n');
    }
  }
}
