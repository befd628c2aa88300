// The bolt app: thread replies relayed to clients, slash commands, card buttons, modals, message shortcuts and the
// App Home. Every action goes through core's commands, the same ones the admin API uses.
// Nothing fails silently after Slack was answered: a thread reply is answered only once recorded (receiver.ts);
// commands, buttons, shortcuts and modals do their work before they ack and answer with its outcome, and what
// outlasts the ack is told to the manager later (response_url, or DM).
import { App, LogLevel, type RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import * as commands from '../../core/commands';
import { CommandError, DuplicateDelivery, type Actor, type CaseRef } from '../../core/commands';
import type { Core } from '../../core/context';
import { describeError } from '../../core/errors';
import { parseWhen } from '../../core/when';
import type { ManagerRow } from '../../core/records';
import { modal, type ModalKind } from './blocks';
import type { SlackConfig } from './config';
import type { SlackConsole } from './console';
import type { SlackData } from './data';
import { parseSlash } from './commands';
import { resolveCase, runSlash } from './slash';
import { inTime, settle, type Outcome } from './answer';
import { FastifyReceiver } from './receiver';
import { webClientOptions } from './web';

export interface SlackDeps {
  core: Core;
  cfg: SlackConfig;
  client: WebClient;
  data: SlackData;
  console: SlackConsole;
}

/** A console thread reply that stays with the managers (also how the Slack Connect adapter spots one misplaced). */
export const NOTE = /^\s*(note:|\/\/)\s*/i;
type ThreadMessage = { subtype?: string; user: string; text?: string | null; ts: string; thread_ts: string; channel: string };
/** Slack retries an event three times (at once, after a minute, after five); the third retry is the last. */
const LAST_SLACK_RETRY = 3;
const NOT_RECORDED = 'Your message could not be recorded, so it did not reach the client: please send it again.';
const gone = 'This case no longer exists.';
/** The input block of each modal that shows a submission's error. */
const MODAL_FIELD: Record<ModalKind, string> = { eta: 'when', needinfo: 'question', escalate: 'reason', urgency: 'urgency' };
const isCaseId = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

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
    // bolt's conversation store (per-conversation state in memory) is unused here and runs on every event.
    convoStore: false,
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
  /** What the manager reads when an action failed; a failure we did not expect is also logged, one line, no bodies. */
  const notDone = (action: string, err: unknown) => {
    if (err instanceof CommandError) return `Not done: ${err.message}`;
    core.log.error({ action, err: describeError(err) }, 'Slack action failed');
    return 'Not done: something went wrong and nothing was changed. Try again.';
  };
  /** After the ack: on the response_url, or by DM when there is none or it fails. Never throws. */
  const tellLater = async (slackUserId: string, text: string, respond?: RespondFn) => {
    if (respond) {
      try {
        return void (await respond({ response_type: 'ephemeral', replace_original: false, text }));
      } catch (err) {
        core.log.warn({ err: describeError(err) }, 'Slack response_url refused the answer; telling the manager by DM');
      }
    }
    try {
      await client.chat.postMessage({ channel: slackUserId, text });
    } catch (err) {
      core.log.error({ slackUserId, err: describeError(err) }, 'could not tell a manager the outcome of a Slack action');
    }
  };
  /** A button or shortcut: its work runs before the ack; what the manager must read follows on the response_url. */
  const act = async (action: string, slackUserId: string, ack: () => Promise<void>, respond: RespondFn | undefined, work: () => Promise<string | void>) => {
    const outcome = settle(work);
    const early = await inTime(outcome);
    await ack();
    const o = early ?? (await outcome);
    const text = o.ok ? o.value : notDone(action, o.err);
    if (text) await tellLater(slackUserId, text, respond);
  };

  // ---- thread replies -----------------------------------------------------------------------------------------
  app.event('message', async ({ event, body, context }) => {
    const e = event as Partial<ThreadMessage> & { bot_id?: string; channel: string; ts: string };
    // A file shared in a thread arrives as a 'file_share' message: its text is a reply like any other. Channels
    // shared with another organisation are never console channels: their messages are the Slack channel's (adapters/slack).
    if ((e.subtype && e.subtype !== 'file_share') || e.bot_id || !e.user || !e.thread_ts || e.thread_ts === e.ts) return;
    if ((body as { is_ext_shared_channel?: boolean }).is_ext_shared_channel) return;
    const msg = e as ThreadMessage;
    const explain = (text: string) => deps.console.explain(msg.channel, msg.user, msg.thread_ts, text);
    const b = body as { event_id?: string; team_id?: string };
    try {
      // event_ids are unique within a workspace.
      await relayReply(msg, { channel: 'slack', scope: b.team_id ?? '', id: b.event_id ?? `${msg.channel}:${msg.ts}` }, explain);
    } catch (err) {
      // We answer 503 and Slack redelivers the event, up to its third retry; after that nobody will.
      if ((context.retryNum ?? 0) >= LAST_SLACK_RETRY) await explain(NOT_RECORDED);
      throw err;
    }
  });

  const relayReply = async (e: ThreadMessage, delivery: NonNullable<Actor['delivery']>, explain: (text: string) => Promise<void>) => {
    const kase = await data.caseByThread(e.channel, e.thread_ts);
    if (!kase) return;
    const m = await manager(e.user);
    const allowed = m && (await mayAct(m, { id: kase.id }));
    if (!m || !allowed) return explain('Only the managers of this client can answer in case threads; your message was not sent to the client.');
    const text = fromSlackMarkup(e.text ?? '');
    const file = e.subtype === 'file_share';
    if (!text.trim()) return file ? explain('Files are not forwarded from Slack yet: share a link to the file instead. Nothing was sent to the client.') : undefined;
    const actor: Actor = { managerId: m.id, origin: { channel: 'slack', scope: e.channel, externalId: e.ts }, delivery };
    try {
      if (NOTE.test(text)) await commands.note(core, { id: kase.id }, actor, text.replace(NOTE, ''));
      else await commands.reply(core, { id: kase.id }, actor, text);
    } catch (err) {
      // A redelivery of what is recorded already: its explanations were given the first time.
      if (err instanceof DuplicateDelivery) return;
      if (err instanceof CommandError) return explain(`Not sent: ${err.message}`);
      throw err;
    }
    if (file) await explain('Your text goes to the client, but files are not forwarded from Slack yet: share a link to the file instead.');
  };

  app.event('app_home_opened', async ({ event }) => {
    const m = await manager((event as { user: string }).user);
    if (m?.slackUserId) await deps.console.publishHome(m.id, m.slackUserId, m.timeZone);
  });

  // ---- slash commands: the acknowledgement carries the outcome -------------------------------------------------
  app.command(/^\//, async ({ command, ack, respond }) => {
    const outcome = settle(() => slash(command.user_id, command.command, command.text ?? '', command.channel_id));
    const text = (o: Outcome<string>) => (o.ok ? o.value : notDone(command.command, o.err));
    const early = await inTime(outcome);
    if (early) return void (await ack({ response_type: 'ephemeral', text: text(early) }));
    await ack({ response_type: 'ephemeral', text: 'Working on it: the answer follows here.' });
    await tellLater(command.user_id, text(await outcome), respond);
  });

  const slash = async (userId: string, name: string, args: string, channelId: string): Promise<string> => {
    const m = await manager(userId);
    if (!m) return notManager;
    const parsed = parseSlash(name, args, m.timeZone, core.clock.now());
    if (!parsed.ok) return parsed.usage;
    const needsCase = 'caseNumber' in parsed.action || ['urgency', 'eta', 'needinfo', 'resolve', 'escalate'].includes(parsed.action.kind);
    let ref: CaseRef | null = null;
    if (needsCase) {
      const n = (parsed.action as { caseNumber?: number }).caseNumber;
      ref = await resolveCase(data, channelId, n);
      if (!ref) return n ? `Case #${n} is not a case of this channel's client.` : 'No open case in this channel: name one, e.g. `#1042`.';
      if (!(await mayAct(m, ref))) return notYours;
    }
    return runSlash(deps, m, parsed.action, ref, channelId);
  };

  // ---- card buttons, modals and message shortcuts -------------------------------------------------------------
  app.action('set_urgency', async ({ ack, body, action, respond }) => {
    const [caseId, level] = String((action as { selected_option?: { value: string } | null }).selected_option?.value ?? '').split(':');
    await act('set_urgency', body.user.id, ack, respond, async () => {
      const m = await manager(body.user.id);
      if (!m) return notManager;
      if (!isCaseId(caseId)) return gone;
      if (!(await mayAct(m, { id: caseId }))) return notYours;
      await commands.setUrgency(core, { id: caseId }, { managerId: m.id }, level, 'set from the case card');
    });
  });

  app.action('resolve', async ({ ack, body, action, respond }) => {
    const caseId = (action as { value?: string }).value ?? '';
    await act('resolve', body.user.id, ack, respond, async () => {
      const m = await manager(body.user.id);
      if (!m) return notManager;
      if (!isCaseId(caseId)) return gone;
      if (!(await mayAct(m, { id: caseId }))) return notYours;
      await commands.resolve(core, { id: caseId }, { managerId: m.id });
    });
  });

  app.action(/^open_(eta|needinfo|escalate)$/, async ({ ack, body, action, respond }) => {
    const caseId = (action as { value?: string }).value ?? '';
    const kind = (action as { action_id: string }).action_id.slice(5) as ModalKind;
    await act(`open_${kind}`, body.user.id, ack, respond, () => openModal(client, data, (body as { trigger_id: string }).trigger_id, kind, caseId, core.clock.now()));
  });

  app.shortcut(/^case_(eta|needinfo|resolve|escalate|urgency)$/, async ({ ack, shortcut, respond }) => {
    const s = shortcut as unknown as { callback_id: string; trigger_id: string; user: { id: string }; channel: { id: string }; message: { ts: string; thread_ts?: string } };
    await act(s.callback_id, s.user.id, ack, respond, async () => {
      const kase = await data.caseByThread(s.channel.id, s.message.thread_ts ?? s.message.ts);
      if (!kase) return 'This message is not in a case thread.';
      const kind = s.callback_id.slice(5);
      if (kind !== 'resolve') return openModal(client, data, s.trigger_id, kind as ModalKind, kase.id, core.clock.now());
      const m = await manager(s.user.id);
      if (!m) return notManager;
      if (!(await mayAct(m, { id: kase.id }))) return notYours;
      await commands.resolve(core, { id: kase.id }, { managerId: m.id });
    });
  });

  // A modal stays open with the error next to the field while the work finishes in time; past that it closes and
  // the outcome, if it is a failure, follows by DM.
  app.view(/^modal_(eta|needinfo|escalate|urgency)$/, async ({ ack, view, body }) => {
    const kind = view.callback_id.slice(6) as ModalKind;
    const field = MODAL_FIELD[kind];
    const outcome = settle(() => submitModal(kind, view, body.user.id));
    const errors = (o: Outcome<Record<string, string> | null>) => (o.ok ? o.value : { [field]: notDone(`modal_${kind}`, o.err) });
    const early = await inTime(outcome);
    if (early) {
      const e = errors(early);
      return void (await ack(e ? { response_action: 'errors', errors: e } : undefined));
    }
    await ack();
    const late = errors(await outcome);
    if (late) await tellLater(body.user.id, Object.values(late)[0]);
  });

  /** Null when done; otherwise what to show next to the modal's field. */
  const submitModal = async (kind: ModalKind, view: { private_metadata: string; state: { values: Record<string, Record<string, unknown>> } }, slackUserId: string) => {
    const field = MODAL_FIELD[kind];
    const m = await manager(slackUserId);
    if (!m) return { [field]: notManager };
    if (!isCaseId(view.private_metadata)) return { [field]: gone };
    const ref: CaseRef = { id: view.private_metadata };
    if (!(await mayAct(m, ref))) return { [field]: notYours };
    const value = (block: string) => {
      const v = (view.state.values[block]?.value ?? {}) as { value?: string | null; selected_option?: { value: string } | null };
      return v.selected_option?.value ?? v.value ?? '';
    };
    const actor: Actor = { managerId: m.id };
    if (kind === 'eta') {
      const at = parseWhen(value('when'), core.clock.now(), m.timeZone);
      if (!at || at.getTime() <= core.clock.now().getTime()) return { when: 'Give a future time: 2h, 90m, tomorrow 15:00, fri 12:00' };
      await commands.postEta(core, ref, actor, at, value('note'));
    } else if (kind === 'needinfo') await commands.askForDetails(core, ref, actor, value('question'));
    else if (kind === 'urgency') await commands.setUrgency(core, ref, actor, value('urgency'), 'set from Slack');
    else await commands.escalate(core, ref, actor, value('reason'));
    return null;
  };

  return { app, receiver };
}

/** Nothing when the modal is open; otherwise why not. */
async function openModal(client: WebClient, data: SlackData, triggerId: string, kind: ModalKind, caseId: string, now: Date): Promise<string | void> {
  const card = isCaseId(caseId) ? await data.caseCard(caseId, now) : null;
  if (!card) return gone;
  await client.views.open({ trigger_id: triggerId, view: modal(kind, caseId, card.view.number) as never });
}
